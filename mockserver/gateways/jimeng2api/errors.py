"""jimeng2api's OpenAI-style error body `{"error": {message, type, param, code}}` (reference A.4) and the
exception handlers that render every failure in it (scenario refusals and poll faults too), so no request ever
sees another shape."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.jimeng2api.models.failures import entry_error, failure_body
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedHeader
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario

ROUTE_NOT_FOUND = "[请求有误]: 请检查API文档确认正确的请求路径，当前请求为 {method} -> {url} 请纠正"


class Jimeng2ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | int = "invalid_request",
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.error_type, "param": self.param, "code": self.code}}


def params_invalid(field: str) -> Jimeng2ApiError:
    """What the server's `request.validate(field, check)` answers (-2000 inferred as 400 invalid_request)."""
    return Jimeng2ApiError(400, f"Params {field} invalid", param=field)


def bad_request(message: str, param: str | None) -> Jimeng2ApiError:
    return Jimeng2ApiError(400, message, param=param)


def invalid_json(detail: str) -> Jimeng2ApiError:
    return Jimeng2ApiError(400, f"Invalid JSON body: {detail}", code="invalid_json")


def payload_too_large() -> Jimeng2ApiError:
    return Jimeng2ApiError(413, "Request body too large", code="payload_too_large")


def missing_api_key() -> Jimeng2ApiError:
    return Jimeng2ApiError(
        401,
        "缺少 API Key，请使用 Authorization: Bearer <api_key>",
        error_type="authentication_error",
        code="invalid_api_key",
    )


def invalid_api_key() -> Jimeng2ApiError:
    return Jimeng2ApiError(401, "API Key 无效或已被停用", error_type="authentication_error", code="invalid_api_key")


def task_not_found(task_id: str) -> Jimeng2ApiError:
    return Jimeng2ApiError(404, f"Task {task_id} not found", param="id", code="task_not_found")


def no_healthy_tokens() -> Jimeng2ApiError:
    """A plain Error in the route: FailureBody leaves the HTTP status at Koa's 200 (reference A.3, derived)."""
    return Jimeng2ApiError(200, "No healthy managed tokens available", error_type="api_error", code="internal_error")


def route_not_found(method: str, url: str) -> Jimeng2ApiError:
    return Jimeng2ApiError(404, ROUTE_NOT_FOUND.format(method=method, url=url), error_type="api_error", code=-1002)


def relative_url(request: Request) -> str:
    """The URL as the client addressed the gateway (without the mock's `/<provider>` mount)."""
    path = request.scope["path"]
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def scripted(error: ScriptedError) -> Jimeng2ApiError:
    """A scenario's refusal or poll fault. A failure the server reports inside tasks is rendered as FailureBody
    renders its errcode escaping a route (-2009 402 insufficient_quota, ...); a scripted status wins."""
    entry = error.entry
    if entry is None:
        return Jimeng2ApiError(error.status, f"scripted fault: HTTP {error.status}", error_type="api_error", code=-1000)
    if entry.get("shape") == "task-error":
        task_error = entry_error(entry)
        status, error_type, code = failure_body(task_error["code"])
        status = status if error.status == entry["http_status"] else error.status
        return Jimeng2ApiError(status, task_error["message"], error_type=error_type, code=code)
    return Jimeng2ApiError(
        error.status, str(entry["message"]), error_type=str(entry.get("type", "api_error")), code=entry["code"]
    )


def render(error: Jimeng2ApiError, retry_after: float | None = None) -> Response:
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    return JsonResponse(error.body(), status_code=error.status, headers=headers)


def exception_handlers() -> dict[Any, Any]:
    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Jimeng2ApiError)
        return render(exc)

    async def on_too_large(request: Request, exc: Exception) -> Response:
        return render(payload_too_large())

    async def on_malformed_header(request: Request, exc: Exception) -> Response:
        return render(bad_request(str(exc), None))

    async def on_http(request: Request, exc: Exception) -> Response:
        # koa-router answers an unknown path and a known path with another method alike: 404, -1002.
        return render(route_not_found(request.method, relative_url(request)))

    async def on_scripted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ScriptedError)
        return render(scripted(exc), exc.retry_after)

    async def on_unknown_scenario(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownScenario)
        return render(bad_request(exc.message, None))

    async def on_crash(request: Request, exc: Exception) -> Response:
        return render(Jimeng2ApiError(500, f"mock internal error: {exc!r}", error_type="api_error", code=-1000))

    return {
        Jimeng2ApiError: on_error,
        BodyTooLarge: on_too_large,
        MalformedHeader: on_malformed_header,
        HTTPException: on_http,
        ScriptedError: on_scripted,
        UnknownScenario: on_unknown_scenario,
        Exception: on_crash,
    }
