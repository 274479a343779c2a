"""Volcengine Visual's Action API: every operation is `POST /?Action=<name>&Version=<date>`, signed.

A request is routed by its Action and Version (MissingParameter, InvalidActionOrVersion), then its signature is
checked, then its body is read as the operation's (the business envelope from there on).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.engine import Outcome, TaskView, with_timings
from mockserver.gateways.families.volcengine_visual import (
    RANDOM_SEED,
    new_task_id,
    resp_data,
    result_answer,
    success,
    task_data,
    task_failure,
    video_seed,
)
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.errors import exception_handlers
from mockserver.gateways.kit.http import mark_task, parse_json, read_body
from mockserver.gateways.kit.results import (
    finished_at,
    kept_json,
    signed_result_url,
    signed_url,
    task_caption,
    video_spec,
)
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.gateways.volcengine.errors import (
    BusinessError,
    InputInvalid,
    OpenApiError,
    VolcengineShape,
    catalogue_business_error,
    request_action,
)
from mockserver.gateways.volcengine.images import (
    ASYNC_IMAGE_KEYS,
    IMAGE_FORMAT,
    InvalidReqJson,
    image_resp_data,
    image_steps,
    parse_image,
    req_json_options,
)
from mockserver.gateways.volcengine.models import (
    DEFAULT_CONCURRENCY,
    DONE,
    InvalidVideoRequest,
    KeyQueues,
    parse_submit,
    plan,
    settle,
)
from mockserver.gateways.volcengine.signing import SignedRequest, key_pairs, verify
from mockserver.media.picture import ImageSpec
from mockserver.media.render import render_image
from mockserver.media.spec import caption_of, color_from_seed
from mockserver.scenarios import Scenario

Handler = Callable[[Request, str, dict[str, Any]], Awaitable[Response]]
ACTIONS = {
    ("CVSync2AsyncSubmitTask", "2022-08-31"): "submitTask",
    ("CVSync2AsyncGetResult", "2022-08-31"): "getResult",
    ("CVCancelTask", "2024-06-06"): "cancelTask",
    ("CVProcess", "2022-08-31"): "process",
}
CHECKED_AFTER_SCENARIO = frozenset({"submitTask", "process"})
"""Operations whose prompt may carry a scenario tag: their body is checked once the tag is taken out."""


class VolcengineApi:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        contract = context.contract
        self.operations = {operation_id: contract.operation(operation_id) for operation_id in ACTIONS.values()}
        self.handlers: dict[str, Handler] = {
            "submitTask": self.submit,
            "getResult": self.get_result,
            "cancelTask": self.cancel,
            "process": self.process,
        }
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.image_ttl = context.lifetime("image_url", None)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)
        self.expired_window = context.lifetime("expired_record", None)
        self.skew = context.lifetime("signature_skew", None)
        self.secrets = key_pairs(context)
        self.queues = KeyQueues(int(context.settings.options.get("concurrency", DEFAULT_CONCURRENCY)))
        context.reset_hooks.append(self.queues.reset)

    async def dispatch(self, request: Request) -> Response:
        context = self.context
        action, version = request_action(request)
        if not action or not version:
            missing = "Action" if not action else "Version"
            raise OpenApiError(
                context,
                "missing_parameter",
                message=f"The request must contain the parameter {missing}",
                action=action,
                version=version,
            )
        operation_id = ACTIONS.get((action, version))
        if operation_id is None:
            message = f"Could not find operation {action} for version {version}"
            raise OpenApiError(context, "invalid_action_or_version", message=message, action=action, version=version)
        body = await read_body(request, context.settings.max_body_bytes)
        access_key = verify(context, self.signed(request, body, action, version), self.secrets, self.skew)
        payload = parse_json(body, context.settings.max_json_depth)
        if not isinstance(payload, dict):
            raise InputInvalid("the request body must be a JSON object")
        if operation_id not in CHECKED_AFTER_SCENARIO:
            violation = self.operations[operation_id].check_request(payload)
            if violation is not None:
                raise InputInvalid(violation.message)
        return await self.handlers[operation_id](request, access_key, payload)

    @staticmethod
    def signed(request: Request, body: bytes, action: str, version: str) -> SignedRequest:
        scope = request.scope
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        below = path[len(root) :] if root and path.startswith(root) else path
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])}
        return SignedRequest(
            request.method,
            (path, below or "/") if below != path else (path,),
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
            action,
            version,
        )

    # -- CVSync2AsyncSubmitTask -----------------------------------------------------------------------
    async def submit(self, request: Request, access_key: str, payload: dict[str, Any]) -> Response:
        context = self.context
        selection, body = scripting.select_for_body(request, context, payload, access_key)
        violation = self.operations["submitTask"].check_request(body)
        if violation is not None:
            raise InputInvalid(violation.message)
        image = body["req_key"] in ASYNC_IMAGE_KEYS
        try:
            video = parse_image(body) if image else parse_submit(body)
        except InvalidVideoRequest as exc:
            raise InputInvalid(str(exc)) from None
        timings = context.settings.timings
        steps = with_timings(image_steps(body["req_key"]), timings) if image else plan(video, timings)
        scripted = scripting.script(context, selection, steps, DONE)
        failure = self.failure(scripted.scenario)
        submission = scripted.submission(
            context,
            video | {"access_key": access_key},
            new_task_id,
            self.task_ttl + self.expired_window,
            DONE if failure is None else Outcome("done", error=failure),
        )
        now, queue = context.clock.now(), self.queues.of(access_key)
        submission.settle = lambda steps, rng: settle(queue, now, steps, rng)
        view = await context.engine.asubmit(submission)
        mark_task(request, view.task.id)
        return success(context, {"task_id": view.task.id}, "submit")

    def failure(self, scenario: Scenario) -> dict[str, Any] | None:
        """The business error a scenario's `fail:` gives the task at GetResult (post-moderation and the like); the
        catalogue's internal error when it names nothing the catalogue has."""
        if scenario.fail is None:
            return None
        catalogue = self.context.contract
        return task_failure(catalogue.error(scenario.fail.error) or catalogue.errors["internal_error"])

    # -- CVSync2AsyncGetResult ------------------------------------------------------------------------
    async def get_result(self, request: Request, access_key: str, payload: dict[str, Any]) -> Response:
        context = self.context
        task_id = payload["task_id"]
        view = self.owned(await context.engine.apoll(context.provider_id, task_id), access_key)
        return result_answer(
            request, context, view, self.task_ttl, BusinessError, lambda done: self.finished(request, done, payload)
        )

    def finished(self, request: Request, view: TaskView, payload: dict[str, Any]) -> Response:
        """A finished task's answer, as the poll's req_json asks: an image task's links or bytes, a video's record
        (with the AIGC label when asked)."""
        context = self.context
        try:
            options = req_json_options(payload.get("req_json"), context.settings.max_json_depth)
        except InvalidReqJson as exc:
            raise InputInvalid(str(exc)) from None
        if view.task.request.get("kind") == "image":
            urls = options.get("return_url") is True
            name = "image-urls" if urls else "image-base64"
            images = kept_json(request, context, view, name, lambda: self.images_done(request, view, urls))
            return success(context, images, "result")
        video = kept_json(request, context, view, "data", lambda: self.done(request, view))
        if "aigc_meta" in options:  # the video carries the AIGC label the client asked for (documented example)
            return success(context, {"aigc_meta_tagged": True, **json.loads(video.json)}, "result")
        return success(context, video, "result")

    @staticmethod
    def owned(view: TaskView | None, access_key: str) -> TaskView | None:
        """A task is another account's business: read with another key it is not found (assumed)."""
        return view if view is not None and view.task.request.get("access_key") == access_key else None

    def done(self, request: Request, view: TaskView) -> dict[str, Any]:
        task = view.task
        spec = video_spec(view, seed=video_seed(task.request, task.seed))
        day = utc_stamp(math.floor(finished_at(view)), "%Y%m%d")
        url = signed_result_url(request, self.context, view, f"jimeng/{day}/{task.id}.mp4", self.url_ttl, spec)
        return task_data("done", url or "", resp_data(task.request, task.seed))

    def images_done(self, request: Request, view: TaskView, urls: bool) -> dict[str, Any]:
        task = view.task
        finished = finished_at(view)
        color = color_from_seed(task.seed)
        inputs = tuple(task.request.get("image_keys") or ())
        spec = ImageSpec(
            task.request["width"], task.request["height"], IMAGE_FORMAT, color, task_caption(view), inputs=inputs
        )
        images = self.images(request, spec, f"{task.id}-0", finished, urls)
        return images | {"resp_data": image_resp_data(task.request, task.seed), "status": "done"}

    def images(self, request: Request, spec: ImageSpec, name: str, finished: float, urls: bool) -> dict[str, Any]:
        """An image result: a signed link (valid 24 hours) or the bytes in base64."""
        if urls:
            day = utc_stamp(math.floor(finished), "%Y%m%d")
            expires = int(finished + self.image_ttl)
            url = signed_url(self.context, request, f"jimeng/{day}/{name}.{IMAGE_FORMAT}", spec.to_params(), expires)
            return {"binary_data_base64": [], "image_urls": [url]}
        return {"binary_data_base64": [base64.b64encode(render_image(spec).body).decode()], "image_urls": None}

    # -- CVProcess --------------------------------------------------------------------------------------
    async def process(self, request: Request, access_key: str, payload: dict[str, Any]) -> Response:
        """A synchronous req_key: the image in the answer. A scenario's refusal or failure is answered at once."""
        context = self.context
        selection, body = scripting.select_for_body(request, context, payload, access_key)
        violation = self.operations["process"].check_request(body)
        if violation is not None:
            raise InputInvalid(violation.message)
        try:
            image = parse_image(body)
        except InvalidVideoRequest as exc:
            raise InputInvalid(str(exc)) from None
        scripted = scripting.script(context, selection, image_steps(body["req_key"]), DONE)
        failure = self.failure(scripted.scenario)
        if failure is not None:
            raise BusinessError(failure["http_status"], failure["code"], failure["message"])
        number = context.randomness.event_number(f"{context.provider_id}:process")
        seed = image["seed"] if image["seed"] != RANDOM_SEED else int(context.randomness.token(f"process:{number}"), 16)
        caption = caption_of(context.provider_id, f"process-{number}", image["req_key"], image["prompt"])
        spec = ImageSpec(image["width"], image["height"], IMAGE_FORMAT, color_from_seed(seed), caption)
        data = self.images(request, spec, f"process-{number}", context.clock.now(), image["return_url"])
        return success(
            context, data | {"algorithm_base_resp": {"status_code": 0, "status_message": "Success"}}, "result"
        )

    # -- CVCancelTask ---------------------------------------------------------------------------------
    async def cancel(self, request: Request, access_key: str, payload: dict[str, Any]) -> Response:
        """Only a task still in_queue is cancelled (documented); it is then gone: GetResult answers not_found."""
        context = self.context
        task_id = payload["task_id"]
        view = self.owned(await context.engine.apeek(task_id, context.provider_id), access_key)
        if view is None:
            raise InputInvalid(f"no task {task_id} to cancel")
        mark_task(request, task_id)
        if view.state != "in_queue":
            raise catalogue_business_error(context, context.contract.errors["cannot_cancel"])
        if not await context.engine.adelete(context.provider_id, task_id):  # cancelled meanwhile, by another worker
            raise InputInvalid(f"no task {task_id} to cancel")
        phases = view.task.schedule.phases
        if len(phases) == 2 and phases[0].until_seconds is not None and phases[1].until_seconds is not None:
            created = view.task.created_at
            self.queues.release(access_key, created + phases[0].until_seconds, created + phases[1].until_seconds)
        return success(context, None, "submit")


class VolcengineProvider:
    id = "volcengine"
    contract = "volcengine"
    options: ClassVar[dict[str, tuple[object, ...]]] = {"concurrency": tuple(range(1, 33))}

    def build(self, context: ProviderContext) -> GatewayApp:
        api = VolcengineApi(context)
        routes = [Route("/", api.dispatch, methods=["POST"])]
        return GatewayApp(routes, exception_handlers=exception_handlers(VolcengineShape(context)))
