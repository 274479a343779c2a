"""jimmyai's HTTP surface: `POST /api/open-api/v1/seedance/videos` and `GET /api/open-api/v1/videos/{task_id}`.

Every answer is jimmyai's envelope `{code, msg, data}`: code "20000" (or 0, the seed's other variant,
with the `success_code` option) and msg "ok" on success; on an error the code and HTTP status of the
contract's `x-errors` entry, msg saying what went wrong, data null.
"""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.engine import TaskView
from mockserver.gateways.jimmyai.models import Catalogue, new_task_id, parse_create, plan
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import (
    BodyTooLarge,
    JsonResponse,
    MalformedHeader,
    MalformedJson,
    Rendered,
    bearer_token,
    mark_task,
    read_json,
)
from mockserver.gateways.kit.results import finished_at, kept_json, signed_result_url
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.gateways.kit.scripting import ScriptedError, prompt_too_long
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.scenarios import UnknownScenario


class JimmyError(Exception):
    """An error answered in jimmyai's envelope; `name` is an entry of the contract's x-errors."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


class Envelope:
    """Renders jimmyai's `{code, msg, data}` in the configured code style."""

    def __init__(self, context: ProviderContext) -> None:
        self.errors = context.contract.errors
        self.numeric = context.settings.options.get("success_code", "20000") == 0

    def ok(self, data: dict[str, Any] | Rendered) -> Response:
        return JsonResponse({"code": 0 if self.numeric else "20000", "msg": "ok", "data": data})

    def error(self, error: JimmyError) -> Response:
        entry = self.errors[error.name]
        return self.render(int(entry["http_status"]), str(entry["code"]), error.message)

    def scripted(self, error: ScriptedError) -> Response:
        """A scenario's error: its catalogue entry, else the bare status as code `<status>00`."""
        entry = error.entry
        if entry is None:
            message = f"{status_phrase(error.status)} (HTTP {error.status})"
            return self.render(error.status, f"{error.status}00", message, error.retry_after)
        return self.render(error.status, str(entry["code"]), str(entry["message"]), error.retry_after)

    def render(self, status: int, code: str, message: str, retry_after: float | None = None) -> Response:
        headers = {} if retry_after is None else {"Retry-After": retry_after_value(retry_after)}
        body = {"code": int(code) if self.numeric else code, "msg": message, "data": None}
        return JsonResponse(body, status_code=status, headers=headers)


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"


def retry_after_value(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


class JimmyApi:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.envelope = Envelope(context)
        self.create_operation = context.contract.operation("createSeedanceVideo")
        self.catalogue = Catalogue.from_contract(context.contract)
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)

    def authenticate(self, request: Request) -> str:
        """The caller's key; raises jimmyai's 401 when it is missing or not accepted."""
        key = bearer_token(request)
        if key is None:
            raise JimmyError("missing_api_key", "unauthorized: missing API key (send Authorization: Bearer <token>)")
        accepted = self.context.settings.api_keys
        if not key or (accepted is not None and key not in accepted):
            raise JimmyError("invalid_api_key", "unauthorized: invalid API key")
        return key

    async def create(self, request: Request) -> Response:
        context = self.context
        key = self.authenticate(request)
        body = await read_json(request, context.settings.max_body_bytes, context.settings.max_json_depth)
        if not isinstance(body, dict):
            raise JimmyError("invalid_params", "request body must be a JSON object")
        prompt = body.get("prompt")
        selection = scripting.select(request, context, prompt if isinstance(prompt, str) else None, key)
        if isinstance(prompt, str) and selection.prompt != prompt:
            body = body | {"prompt": selection.prompt or ""}
        violation = self.create_operation.check_request(body)
        if violation is not None:
            raise JimmyError("invalid_params", violation.message)
        if (too_long := prompt_too_long(body.get("prompt"), context.settings.max_prompt_chars)) is not None:
            raise JimmyError("invalid_params", too_long)
        video = parse_create(body, self.catalogue)
        steps, outcome = plan(video, self.catalogue, context.settings.timings)
        scripted = scripting.script(context, selection, steps, outcome)
        submission = scripted.submission(context, video.to_dict(), new_task_id, self.task_ttl)
        view = scripting.submit(context, submission)
        mark_task(request, view.task.id)
        return self.envelope.ok(
            {"task_id": view.task.id, "status": "queued", "model": video.model, "created_at": int(view.task.created_at)}
        )

    async def query(self, request: Request) -> Response:
        context = self.context
        self.authenticate(request)
        task_id = request.path_params["task_id"]
        view = context.engine.poll(context.provider_id, task_id)
        if view is None:
            raise JimmyError("task_not_found", f"task not found: {task_id}")
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


def exception_handlers(envelope: Envelope) -> dict[Any, Any]:
    """Every failure answered in jimmyai's envelope, so no request ever gets a bare 500."""

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JimmyError)
        return envelope.error(exc)

    async def on_too_large(request: Request, exc: Exception) -> Response:
        return envelope.error(JimmyError("payload_too_large", str(exc)))

    async def on_malformed(request: Request, exc: Exception) -> Response:
        return envelope.error(JimmyError("invalid_params", str(exc)))

    async def on_http(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        where = f"{request.method} {request.url.path}"
        if status == 405:
            response = envelope.error(JimmyError("method_not_allowed", f"method not allowed: {where}"))
            if isinstance(exc, HTTPException) and exc.headers:
                response.headers.update(exc.headers)  # Allow: the methods the route takes (RFC 9110 15.5.6)
            return response
        if status == 404:
            return envelope.error(JimmyError("route_not_found", f"route not found: {where}"))
        return envelope.error(JimmyError("internal_error", f"internal error: {exc}"))

    async def on_scripted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ScriptedError)
        return envelope.scripted(exc)

    async def on_unknown_scenario(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownScenario)
        return envelope.error(JimmyError("invalid_params", exc.message))

    async def on_crash(request: Request, exc: Exception) -> Response:
        return envelope.error(JimmyError("internal_error", f"internal error: {exc!r}"))

    return {
        JimmyError: on_error,
        BodyTooLarge: on_too_large,
        MalformedJson: on_malformed,
        MalformedHeader: on_malformed,
        HTTPException: on_http,
        ScriptedError: on_scripted,
        UnknownScenario: on_unknown_scenario,
        Exception: on_crash,
    }


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
        return GatewayApp(routes, exception_handlers=exception_handlers(api.envelope))
