"""Conventions of new-api, the gateway software Crazyrouter and OctopusX run on (reference B.3).

Two error bodies: task routes answer `{"code", "message", "data": null}`; authentication and unknown
routes answer OpenAI-style `{"error": {"message", "type", "code"}}`. Every response carries an
`X-Oneapi-Request-Id` header, and OpenAI-style messages end with `(request id: ...)`.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import (
    BodyTooLarge,
    JsonResponse,
    MalformedForm,
    MalformedHeader,
    MalformedJson,
    bearer_token,
)
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.scenarios import UnknownScenario

REQUEST_ID_HEADER = "X-Oneapi-Request-Id"


class NewApiError(Exception):
    """An error answered in new-api's task shape (`openai_style=False`) or its OpenAI shape."""

    def __init__(
        self, status: int, code: str, message: str, *, openai_style: bool = False, error_type: str = "new_api_error"
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.openai_style = openai_style
        self.error_type = error_type


def request_id(context: ProviderContext) -> str:
    """The mock clock's second, a six-digit counter and eight hex digits (new-api's time string and random
    suffix), numbered per gateway."""
    randomness = context.randomness
    number = randomness.next_number(f"{context.provider_id}:request-id")
    token = randomness.numbered_token("request-id", number)
    return f"{utc_stamp(context.clock.now(), _TIME_STRING)}{number % 1_000_000:06d}{token}"


_TIME_STRING = "%Y%m%d%H%M%S"


def json_response(context: ProviderContext, body: Any, status: int = 200) -> Response:
    return JsonResponse(body, status_code=status, headers={REQUEST_ID_HEADER: request_id(context)})


def error_response(context: ProviderContext, error: NewApiError, retry_after: float | None = None) -> Response:
    rid = request_id(context)
    headers = {REQUEST_ID_HEADER: rid}
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    body: dict[str, Any]
    if error.openai_style:
        body = {
            "error": {"code": error.code, "message": f"{error.message} (request id: {rid})", "type": error.error_type}
        }
    else:
        body = {"code": error.code, "message": error.message, "data": None}
    return JsonResponse(body, status_code=error.status, headers=headers)


def scripted_error(error: ScriptedError) -> NewApiError:
    """A scenario's error in new-api's shape: the catalogue entry's, else a generic one for the bare status."""
    entry = error.entry
    if entry is None:
        return NewApiError(error.status, "mock_fault", f"scripted fault: HTTP {error.status}")
    openai_style = entry.get("shape") == "openai"
    return NewApiError(error.status, str(entry["code"]), str(entry["message"]), openai_style=openai_style)


def authenticate(request: Request, context: ProviderContext) -> str:
    """The caller's key; raises the gateway's 401 when it is missing or not accepted."""
    key = bearer_token(request)
    if key is None:
        raise NewApiError(401, "", "未提供令牌", openai_style=True)
    accepted = context.settings.api_keys
    if not key or (accepted is not None and key not in accepted):
        raise NewApiError(401, "", "无效的令牌", openai_style=True)
    return key


def exception_handlers(context: ProviderContext) -> dict[Any, Any]:
    """Starlette exception handlers that answer every failure in new-api's own shapes."""

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NewApiError)
        return error_response(context, exc)

    async def on_too_large(request: Request, exc: Exception) -> Response:
        return error_response(context, NewApiError(413, "invalid_request", str(exc)))

    async def on_malformed(request: Request, exc: Exception) -> Response:
        return error_response(context, NewApiError(400, "invalid_request", str(exc)))

    async def on_http(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status in (404, 405):
            message = f"Invalid URL ({request.method} {request.url.path})"
            return error_response(
                context, NewApiError(404, "", message, openai_style=True, error_type="invalid_request_error")
            )
        return error_response(context, NewApiError(status, "invalid_request", str(exc)))

    async def on_scripted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ScriptedError)
        return error_response(context, scripted_error(exc), exc.retry_after)

    async def on_unknown_scenario(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownScenario)
        return error_response(context, NewApiError(400, "invalid_request", exc.message))

    async def on_crash(request: Request, exc: Exception) -> Response:
        return error_response(context, NewApiError(500, "internal_error", f"mock internal error: {exc!r}"))

    return {
        NewApiError: on_error,
        BodyTooLarge: on_too_large,
        MalformedJson: on_malformed,
        MalformedForm: on_malformed,
        MalformedHeader: on_malformed,
        HTTPException: on_http,
        ScriptedError: on_scripted,
        UnknownScenario: on_unknown_scenario,
        Exception: on_crash,
    }
