"""api.gpt.ge's errors: Volcengine Visual's business codes (reference gateways.md, B.1), answered in the same
envelope as a success, `{code, data, message, request_id, status, time_elapsed}`, with `code` other than 10000."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.gptge.envelope import envelope
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.errors import ErrorShape, GatewayError
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedBody, MalformedHeader, bearer_token
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario

ACCESS_DENIED = 50400
INPUT_INVALID = 50215
INTERNAL_ERROR = 50500


class VolcError(GatewayError):
    """An answer with a business code other than 10000; `data` is the envelope's (a failed task's record)."""

    def __init__(
        self, status: int, code: int, message: str, data: Any = None, retry_after: float | None = None
    ) -> None:
        super().__init__(status, code, message, retry_after)
        self.data = data


class InputInvalid(VolcError):
    """50215 Input invalid for this service."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(status, INPUT_INVALID, f"Input invalid for this service: {reason}")


class AccessDenied(VolcError):
    """50400 Access Denied: no bearer token, or one the gateway does not accept."""

    def __init__(self, reason: str) -> None:
        super().__init__(401, ACCESS_DENIED, f"Access Denied: {reason}")


class InternalError(VolcError):
    """50500 Internal Error: here, a bug of the mock."""

    def __init__(self, exc: Exception) -> None:
        message = f"Internal Error: mock internal error ({exc.__class__.__name__})"
        super().__init__(500, INTERNAL_ERROR, message)


class GptGeShape(ErrorShape):
    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def render(self, error: GatewayError) -> Response:
        code = error.code if isinstance(error.code, int) else INTERNAL_ERROR
        data = error.data if isinstance(error, VolcError) else None
        body = envelope(self.context, code, error.message, data, "error")
        return JsonResponse(body, status_code=error.status, headers=error.response_headers())

    def too_large(self, exc: BodyTooLarge) -> GatewayError:
        return InputInvalid(str(exc), status=413)

    def malformed(self, exc: MalformedBody) -> GatewayError:
        return InputInvalid(str(exc))

    def malformed_header(self, exc: MalformedHeader) -> GatewayError:
        return InputInvalid(str(exc))

    def route_not_found(self, request: Request) -> GatewayError:
        return InputInvalid(f"no route {request.method} {request.url.path}", status=404)

    def http_error(self, request: Request, exc: HTTPException) -> GatewayError:
        return VolcError(exc.status_code, INPUT_INVALID, str(exc))

    def scripted(self, exc: ScriptedError) -> GatewayError:
        """A scenario's error: its catalogue entry's code and message at the scripted HTTP status. A bare status
        takes the catalogue's rate limit for 429 and its internal error for 5xx (assumed); any other is 50215."""
        entry = exc.entry
        if entry is None and (exc.status == 429 or exc.status >= 500):
            entry = self.context.contract.error("rate_limited" if exc.status == 429 else "internal_error")
        if entry is None:
            return InputInvalid(f"scripted fault HTTP {exc.status}", exc.status)
        retry_after = exc.retry_after if exc.retry_after is not None else entry.get("retry_after")
        return VolcError(exc.status, int(entry["code"]), str(entry["message"]), retry_after=retry_after)

    def unknown_scenario(self, exc: UnknownScenario) -> GatewayError:
        return InputInvalid(exc.message)

    def unexpected(self, exc: Exception) -> GatewayError:
        return InternalError(exc)


def authenticate(request: Request, context: ProviderContext) -> str:
    """The caller's bearer key; raises 50400 Access Denied when it is missing or not accepted."""
    key = bearer_token(request)
    if key is None:
        raise AccessDenied("send Authorization: Bearer <token>")
    if not key:
        raise AccessDenied("the Authorization header is not a Bearer token")
    if not context.settings.accepts(key):
        raise AccessDenied("invalid token")
    return key
