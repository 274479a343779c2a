"""jimeng2api's errors and its OpenAI-style error body `{"error": {message, type, param, code}}` (reference A.4),
in which every failure is answered (scenario refusals and poll faults too), so no request ever sees another
shape."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.jimeng2api.models.failures import entry_error, failure_body
from mockserver.gateways.kit.errors import ErrorShape, GatewayError
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedBody, MalformedHeader
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario

ROUTE_NOT_FOUND = "[请求有误]: 请检查API文档确认正确的请求路径，当前请求为 {method} -> {url} 请纠正"


class Jimeng2ApiError(GatewayError):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | int = "invalid_request",
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, code, message, retry_after)
        self.error_type = error_type
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


class Jimeng2ApiShape(ErrorShape):
    def render(self, error: GatewayError) -> Response:
        if isinstance(error, Jimeng2ApiError):
            body = error.body()
        else:
            body = {"error": {"message": error.message, "type": "api_error", "param": None, "code": error.code}}
        return JsonResponse(body, status_code=error.status, headers=error.response_headers())

    def too_large(self, exc: BodyTooLarge) -> GatewayError:
        return payload_too_large()

    def malformed(self, exc: MalformedBody) -> GatewayError:
        return invalid_json(str(exc))

    def malformed_header(self, exc: MalformedHeader) -> GatewayError:
        return bad_request(str(exc), None)

    def route_not_found(self, request: Request) -> GatewayError:
        # koa-router answers an unknown path and a known path with another method alike: 404, -1002.
        return route_not_found(request.method, relative_url(request))

    def http_error(self, request: Request, exc: HTTPException) -> GatewayError:
        return route_not_found(request.method, relative_url(request))

    def scripted(self, exc: ScriptedError) -> GatewayError:
        """A scenario's refusal or poll fault. A failure the server reports inside tasks is rendered as
        FailureBody renders its errcode escaping a route (-2009 402 insufficient_quota, ...); a scripted status
        wins."""
        entry, retry_after = exc.entry, exc.retry_after
        if entry is None:
            message = f"scripted fault: HTTP {exc.status}"
            return Jimeng2ApiError(exc.status, message, error_type="api_error", code=-1000, retry_after=retry_after)
        if entry.get("shape") == "task-error":
            task_error = entry_error(entry)
            status, error_type, code = failure_body(task_error["code"])
            status = status if exc.status == entry["http_status"] else exc.status
            return Jimeng2ApiError(
                status, task_error["message"], error_type=error_type, code=code, retry_after=retry_after
            )
        error_type = str(entry.get("type", "api_error"))
        return Jimeng2ApiError(
            exc.status, str(entry["message"]), error_type=error_type, code=entry["code"], retry_after=retry_after
        )

    def unknown_scenario(self, exc: UnknownScenario) -> GatewayError:
        return bad_request(exc.message, None)

    def unexpected(self, exc: Exception) -> GatewayError:
        return Jimeng2ApiError(500, f"mock internal error: {exc!r}", error_type="api_error", code=-1000)
