"""jimmyai's HTTP surface: `POST /api/open-api/v1/seedance/videos` and `GET /api/open-api/v1/videos/{task_id}`.

Every answer is jimmyai's envelope `{code, msg, data}`: code "20000" (or 0, the seed's other variant,
with the `success_code` option) and msg "ok" on success; on an error the code and HTTP status of the
contract's `x-errors` entry, msg saying what went wrong, data null.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.engine import TaskView
from mockserver.gateways.jimmyai.errors import JimmyShape
from mockserver.gateways.jimmyai.models import Catalogue, new_task_id, parse_create, plan
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.errors import exception_handlers
from mockserver.gateways.kit.http import JsonResponse, Rendered, bearer_token, mark_task, read_json
from mockserver.gateways.kit.results import finished_at, kept_json, signed_result_url
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.gateways.kit.scripting import prompt_too_long
from mockserver.gateways.kit.stamps import utc_stamp


class Envelope:
    """jimmyai's success `{code, msg: "ok", data}` in the configured code style."""

    def __init__(self, context: ProviderContext) -> None:
        self.numeric = context.settings.options.get("success_code", "20000") == 0

    def ok(self, data: dict[str, Any] | Rendered) -> Response:
        return JsonResponse({"code": 0 if self.numeric else "20000", "msg": "ok", "data": data})


class JimmyApi:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.envelope = Envelope(context)
        self.shape = JimmyShape(context)
        self.errors = self.shape.errors
        self.create_operation = context.contract.operation("createSeedanceVideo")
        self.catalogue = Catalogue.from_contract(context.contract)
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)

    def authenticate(self, request: Request) -> str:
        """The caller's key; raises jimmyai's 401 when it is missing or not accepted."""
        key = bearer_token(request)
        if key is None:
            raise self.errors.missing_api_key()
        if not self.context.settings.accepts(key):
            raise self.errors.invalid_api_key()
        return key

    async def create(self, request: Request) -> Response:
        context = self.context
        key = self.authenticate(request)
        body = await read_json(request, context.settings.max_body_bytes, context.settings.max_json_depth)
        if not isinstance(body, dict):
            raise self.errors.invalid_params("request body must be a JSON object")
        prompt = body.get("prompt")
        selection = scripting.select(request, context, prompt if isinstance(prompt, str) else None, key)
        if isinstance(prompt, str) and selection.prompt != prompt:
            body = body | {"prompt": selection.prompt or ""}
        violation = self.create_operation.check_request(body)
        if violation is not None:
            raise self.errors.invalid_params(violation.message)
        if (too_long := prompt_too_long(body.get("prompt"), context.settings.max_prompt_chars)) is not None:
            raise self.errors.invalid_params(too_long)
        video = parse_create(body, self.catalogue)
        steps, outcome = plan(video, self.catalogue, context.settings.timings)
        scripted = scripting.script(context, selection, steps, outcome)
        submission = scripted.submission(context, video.to_dict(), new_task_id, self.task_ttl)
        view = await scripting.submit(context, submission)
        mark_task(request, view.task.id)
        return self.envelope.ok(
            {"task_id": view.task.id, "status": "queued", "model": video.model, "created_at": int(view.task.created_at)}
        )

    async def query(self, request: Request) -> Response:
        context = self.context
        self.authenticate(request)
        task_id = request.path_params["task_id"]
        view = await context.engine.apoll(context.provider_id, task_id)
        if view is None:
            raise self.errors.task_not_found(task_id)
        mark_task(request, task_id)
        scripting.raise_poll_fault(request, context, view)
        if view.terminal:
            return self.envelope.ok(kept_json(request, context, view, "data", lambda: self.task_data(request, view)))
        return self.envelope.ok(self.task_data(request, view))

    def task_data(self, request: Request, view: TaskView) -> dict[str, Any]:
        task = view.task
        data: dict[str, Any] = {
            "task_id": task.id,
            "status": view.state,
            "progress": view.progress,
            "model": task.request["model"],
            "created_at": int(task.created_at),
            "completed_at": None,
            "result": None,
            "error_message": None,
        }
        if view.succeeded:
            finished = finished_at(view)
            data["completed_at"] = int(finished)
            data["result"] = {"video_url": self.video_url(request, view, finished), "image_url": None}
        elif view.terminal:
            data["progress"] = 0
            data["error_message"] = str((task.schedule.outcome.error or {}).get("message") or "generation failed")
        return data

    def video_url(self, request: Request, view: TaskView, finished: float) -> str:
        day = utc_stamp(math.floor(finished), "%Y%m%d")
        key = f"seedance/{day}/{view.task.id}.mp4"
        return signed_result_url(request, self.context, view, key, self.url_ttl) or ""


class JimmyaiProvider:
    id = "jimmyai"
    contract = "jimmyai"
    options: ClassVar[dict[str, tuple[object, ...]]] = {"success_code": ("20000", 0)}

    def build(self, context: ProviderContext) -> GatewayApp:
        api = JimmyApi(context)
        routes = [
            Route("/api/open-api/v1/seedance/videos", api.create, methods=["POST"]),
            Route("/api/open-api/v1/videos/{task_id}", api.query, methods=["GET"]),
        ]
        return GatewayApp(routes, exception_handlers=exception_handlers(api.shape))
