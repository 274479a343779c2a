"""api.gpt.ge's HTTP surface: `POST /task/jimeng/text2video`, `POST /task/jimeng/image2video` and
`GET /task/{task_id}`, every answer in the Volcengine envelope."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.engine import Outcome, TaskView
from mockserver.gateways.families.volcengine_visual import (
    RANDOM_SEED,
    new_task_id,
    resp_data,
    result_answer,
    task_data,
    task_failure,
    video_seed,
)
from mockserver.gateways.gptge.envelope import success
from mockserver.gateways.gptge.errors import GptGeShape, InputInvalid, VolcError, authenticate
from mockserver.gateways.gptge.models import InvalidVideoRequest, parse_submit, plan
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.cors import GIN_ALL_ORIGINS
from mockserver.gateways.kit.errors import exception_handlers
from mockserver.gateways.kit.http import mark_task, read_json
from mockserver.gateways.kit.results import finished_at, kept_json, signed_result_url, video_spec
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.scenarios import Scenario

OPERATIONS = {"text2video": "textToVideo", "image2video": "imageToVideo"}


class GptGeApi:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        contract = context.contract
        self.operations = {mode: contract.operation(op) for mode, op in OPERATIONS.items()}
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)
        self.expired_window = context.lifetime("expired_record", None)

    async def text_to_video(self, request: Request) -> Response:
        return await self.submit(request, "text2video")

    async def image_to_video(self, request: Request) -> Response:
        return await self.submit(request, "image2video")

    async def submit(self, request: Request, mode: str) -> Response:
        context = self.context
        key = authenticate(request, context)
        body = await read_json(request, context.settings.max_body_bytes, context.settings.max_json_depth)
        if not isinstance(body, dict):
            raise InputInvalid("the request body must be a JSON object")
        selection, body = scripting.select_for_body(request, context, body, key)
        violation = self.operations[mode].check_request(body)
        if violation is not None:
            raise InputInvalid(violation.message)
        try:
            video = parse_submit(mode, body, context.settings.max_image_pixels)
        except InvalidVideoRequest as exc:
            raise InputInvalid(str(exc)) from None
        steps, outcome = plan(video, context.settings.timings)
        scripted = scripting.script(context, selection, steps, outcome)
        failure = self.failure(scripted.scenario)
        submission = scripted.submission(
            context,
            video.to_dict(),
            new_task_id,
            self.task_ttl + self.expired_window,
            outcome if failure is None else Outcome("done", error=failure),
        )
        view = await scripting.submit(context, submission)
        mark_task(request, view.task.id)
        return success(context, {"task_id": view.task.id}, "submit")

    def failure(self, scenario: Scenario) -> dict[str, Any] | None:
        """The business error a scenario's `fail:` ends the task with (the catalogue's internal error when the
        reference names nothing the catalogue has); the task still ends `done`, as upstream's do."""
        if scenario.fail is None:
            return None
        catalogue = self.context.contract
        entry = catalogue.error(scenario.fail.error) or catalogue.errors["internal_error"]
        return task_failure(entry)

    async def get_task(self, request: Request) -> Response:
        context = self.context
        authenticate(request, context)
        task_id = request.path_params["task_id"]
        view = await context.engine.apoll(context.provider_id, task_id)
        return result_answer(request, context, view, self.task_ttl, VolcError, lambda done: self.done(request, done))

    def done(self, request: Request, view: TaskView) -> Response:
        """A finished task's record, rendered once and kept."""
        task = view.task
        record = kept_json(
            request,
            self.context,
            view,
            "data",
            lambda: task_data("done", self.video_url(request, view), resp_data(task.request, task.seed)),
        )
        return success(self.context, record, "result")

    def video_url(self, request: Request, view: TaskView) -> str:
        task = view.task
        finished = finished_at(view)
        spec = video_spec(view, seed=video_seed(task.request, task.seed))
        if int(task.request["seed"]) != RANDOM_SEED:  # the same seed and parameters give the same video
            spec = replace(spec, caption=replace(spec.caption, task=f"seed {task.request['seed']}"))
        day = utc_stamp(math.floor(finished), "%Y%m%d")
        url = signed_result_url(request, self.context, view, f"jimeng/{day}/{task.id}.mp4", self.url_ttl, spec)
        return url or ""


class GptGeProvider:
    id = "gptge"
    contract = "gptge"

    def build(self, context: ProviderContext) -> GatewayApp:
        api = GptGeApi(context)
        routes = [
            Route("/task/jimeng/text2video", api.text_to_video, methods=["POST"]),
            Route("/task/jimeng/image2video", api.image_to_video, methods=["POST"]),
            Route("/task/{task_id}", api.get_task, methods=["GET"]),
        ]
        return GatewayApp(routes, exception_handlers=exception_handlers(GptGeShape(context)), cors=GIN_ALL_ORIGINS)
