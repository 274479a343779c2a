"""Conventions of new-api, the gateway software Crazyrouter and OctopusX run on (reference B.3): its errors,
named after new-api's codes, its error shape (`NewApiShape`), request ids and authentication.

Two error bodies: task routes answer `{"code", "message", "data": null}`; authentication and unknown
routes answer OpenAI-style `{"error": {"message", "type", "code"}}`. Every response carries an
`X-Oneapi-Request-Id` header, and OpenAI-style messages end with `(request id: ...)`.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.contracts.contract import Operation
from mockserver.engine import TaskView
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.errors import ErrorShape, GatewayError
from mockserver.gateways.kit.http import (
    BodyTooLarge,
    JsonResponse,
    MalformedBody,
    MalformedHeader,
    bearer_token,
    mark_task,
    read_json,
)
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.scenarios import Selection, UnknownScenario

REQUEST_ID_HEADER = "X-Oneapi-Request-Id"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode("latin-1")


class NewApiError(GatewayError):
    """An error answered in new-api's task shape (`openai_style=False`) or its OpenAI shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        openai_style: bool = False,
        error_type: str = "new_api_error",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, code, message, retry_after)
        self.openai_style = openai_style
        self.error_type = error_type


class InvalidRequest(NewApiError):
    """new-api's `invalid_request` (400, task shape): a body or parameter the relay refuses."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, "invalid_request", message)


class TaskNotExist(NewApiError):
    """The relay's fetch of an id it does not know (400, task shape, the code as message)."""

    def __init__(self) -> None:
        super().__init__(400, "task_not_exist", "task_not_exist")


class InvalidUrl(NewApiError):
    """new-api's RelayNotFound: an unknown path, or a known one with another method (404, OpenAI shape)."""

    def __init__(self, method: str, path: str) -> None:
        message = f"Invalid URL ({method} {path})"
        super().__init__(404, "", message, openai_style=True, error_type="invalid_request_error")


class Unauthorized(NewApiError):
    """The token middleware's refusal (401, OpenAI shape, empty code)."""

    def __init__(self, message: str) -> None:
        super().__init__(401, "", message, openai_style=True)


class MockInternalError(NewApiError):
    """A bug of the mock, answered in the task shape."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(500, "internal_error", f"mock internal error: {exc!r}")


def request_id(context: ProviderContext) -> str:
    """The mock clock's second, a six-digit counter and eight hex digits (new-api's time string and random
    suffix), numbered per gateway."""
    randomness = context.randomness
    number = randomness.event_number(f"{context.provider_id}:request-id")
    token = randomness.numbered_token("request-id", number)
    return f"{utc_stamp(context.clock.now(), _TIME_STRING)}{number % 1_000_000:06d}{token}"


_TIME_STRING = "%Y%m%d%H%M%S"


def json_response(context: ProviderContext, body: Any, status: int = 200) -> Response:
    response = JsonResponse(body, status_code=status)
    response.raw_headers.append((_REQUEST_ID_NAME, request_id(context).encode("latin-1")))
    return response


class NewApiShape(ErrorShape):
    """new-api's two error bodies, each answer with its request id (header, and message in the OpenAI shape)."""

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def render(self, error: GatewayError) -> Response:
        rid = request_id(self.context)
        headers = {REQUEST_ID_HEADER: rid, **error.response_headers()}
        body: dict[str, Any]
        if isinstance(error, NewApiError) and error.openai_style:
            body = {
                "error": {
                    "code": error.code,
                    "message": f"{error.message} (request id: {rid})",
                    "type": error.error_type,
                }
            }
        else:
            body = {"code": error.code, "message": error.message, "data": None}
        return JsonResponse(body, status_code=error.status, headers=headers)

    def too_large(self, exc: BodyTooLarge) -> GatewayError:
        return InvalidRequest(str(exc), status=413)

    def malformed(self, exc: MalformedBody) -> GatewayError:
        return InvalidRequest(str(exc))

    def malformed_header(self, exc: MalformedHeader) -> GatewayError:
        return InvalidRequest(str(exc))

    def route_not_found(self, request: Request) -> GatewayError:
        return InvalidUrl(request.method, request.url.path)

    def http_error(self, request: Request, exc: HTTPException) -> GatewayError:
        return InvalidRequest(str(exc), status=exc.status_code)

    def scripted(self, exc: ScriptedError) -> GatewayError:
        """A scenario's error in new-api's shape: the catalogue entry's, else a generic one for the bare status."""
        entry = exc.entry
        if entry is None:
            return NewApiError(
                exc.status, "mock_fault", f"scripted fault: HTTP {exc.status}", retry_after=exc.retry_after
            )
        openai_style = entry.get("shape") == "openai"
        return NewApiError(
            exc.status,
            str(entry["code"]),
            str(entry["message"]),
            openai_style=openai_style,
            retry_after=exc.retry_after,
        )

    def unknown_scenario(self, exc: UnknownScenario) -> GatewayError:
        return InvalidRequest(exc.message)

    def unexpected(self, exc: Exception) -> GatewayError:
        return MockInternalError(exc)


def authenticate(request: Request, context: ProviderContext) -> str:
    """The caller's key; raises the gateway's 401 when it is missing or not accepted."""
    key = bearer_token(request)
    if key is None:
        raise Unauthorized("未提供令牌")
    if not context.settings.accepts(key):
        raise Unauthorized("无效的令牌")
    return key


async def read_submission(
    request: Request, context: ProviderContext, operation: Operation
) -> tuple[Selection, dict[str, Any]]:
    """A JSON submit read in the relay's order: the caller's key, the body as a JSON object, then
    `checked_submission`."""
    key = authenticate(request, context)
    body = await read_json(request, context.settings.max_body_bytes, context.settings.max_json_depth)
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    return checked_submission(request, context, operation, body, key)


def checked_submission(
    request: Request, context: ProviderContext, operation: Operation, body: dict[str, Any], key: str
) -> tuple[Selection, dict[str, Any]]:
    """The scenario a submit selects and its body without the scenario tag, once the contract accepts that
    body (else `InvalidRequest` with the contract's message)."""
    selection, body = scripting.select_for_body(request, context, body, key)
    violation = operation.check_request(body)
    if violation is not None:
        raise InvalidRequest(violation.message)
    return selection, body


async def polled_task(request: Request, context: ProviderContext, task_id: str) -> TaskView:
    """The caller's task as a poll sees it (authenticated; `TaskNotExist` for an id the gateway does not hold),
    marked on the request for the journal."""
    authenticate(request, context)
    view = await context.engine.apoll(context.provider_id, task_id)
    if view is None:
        raise TaskNotExist()
    mark_task(request, task_id)
    return view
