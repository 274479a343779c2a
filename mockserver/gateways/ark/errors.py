"""Ark's errors: `{"error": {"code", "message", "param", "type"}}`, each an entry of the contract's `x-errors` (its
HTTP status, code and type), the message ending with the request id as the service's do. `ArkShape` maps every
failure all gateways meet to one of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.errors import ErrorShape, GatewayError
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedBody, MalformedHeader
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario

REQUEST_ID_HEADER = "X-Request-Id"
TYPES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    413: "BadRequest",
    429: "TooManyRequests",
}


class ArkError(GatewayError):
    """An error answer of Ark: its code, message, the field at fault (`param`) and its type."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str = "",
        error_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, code, message, retry_after)
        self.param = param
        self.error_type = error_type or TYPES.get(status, "InternalServerError")


def catalogued(
    entry: Mapping[str, Any], message: str | None = None, param: str = "", status: int | None = None
) -> ArkError:
    """The error of a catalogue entry; `message` replaces the catalogue's when the mock can say more."""
    return ArkError(
        status or int(entry["http_status"]),
        str(entry["code"]),
        message or str(entry["message"]),
        param,
        entry.get("type"),
        entry.get("retry_after"),
    )


class ArkErrors:
    """The catalogue's errors by their vendor names, with the messages the service writes."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        self.entries = entries

    def missing_parameter(self, param: str) -> ArkError:
        return catalogued(self.entries["missing_parameter"], param=param)

    def invalid_parameter(self, param: str, reason: str) -> ArkError:
        message = f"The parameter `{param}` specified in the request are not valid: {reason}."
        return catalogued(self.entries["invalid_parameter"], message if param else f"{reason}.", param)

    def authentication(self) -> ArkError:
        return catalogued(self.entries["authentication_error"])

    def model_not_found(self, model: str) -> ArkError:
        message = f"The model or endpoint {model} does not exist or you do not have access to it."
        return catalogued(self.entries["model_not_found"], message, "model")

    def task_not_found(self, task_id: str) -> ArkError:
        return catalogued(self.entries["task_not_found"], f"The specified task {task_id} is not found.", "task_id")

    def not_deletable(self, status: str) -> ArkError:
        reason = f"a {status} task can be neither cancelled nor deleted"
        message = f"The parameter `task_id` specified in the request are not valid: {reason}."
        return catalogued(self.entries["task_not_deletable"], message, "task_id")

    def route_not_found(self, request: Request) -> ArkError:
        message = f"The requested path or method is not supported: {request.method} {request.url.path}."
        return catalogued(self.entries["route_not_found"], message)

    def internal(self, detail: str) -> ArkError:
        message = f"The service encountered an unexpected internal error ({detail})."
        return catalogued(self.entries["internal_error"], message)


class ArkShape(ErrorShape):
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.errors = ArkErrors(context.contract.errors)

    def request_id(self) -> str:
        """`02<unix milliseconds><hex>`, as Ark's request ids read (observed: 0217448802536597b8f6...)."""
        now = self.context.clock.now()
        number = self.context.randomness.local_number("ark:request")
        token = self.context.randomness.numbered_token("ark:request", number, 32)
        return f"02{int(now * 1000)}{token}"

    def render(self, error: GatewayError) -> Response:
        request_id = self.request_id()
        param = error.param if isinstance(error, ArkError) else ""
        kind = error.error_type if isinstance(error, ArkError) else TYPES.get(error.status, "InternalServerError")
        body = {
            "error": {
                "code": str(error.code),
                "message": f"{error.message} Request id: {request_id}",
                "param": param,
                "type": kind,
            }
        }
        headers = {REQUEST_ID_HEADER: request_id, **error.response_headers()}
        return JsonResponse(body, status_code=error.status, headers=headers)

    def too_large(self, exc: BodyTooLarge) -> GatewayError:
        return catalogued(
            self.context.contract.errors["request_too_large"],
            f"The request body is too large (limit {exc.limit} bytes).",
        )

    def malformed(self, exc: MalformedBody) -> GatewayError:
        return self.errors.invalid_parameter("", f"The {exc}")  # the reason begins "request body ..."

    def malformed_header(self, exc: MalformedHeader) -> GatewayError:
        return self.errors.invalid_parameter("", str(exc))

    def route_not_found(self, request: Request) -> GatewayError:
        return self.errors.route_not_found(request)

    def http_error(self, request: Request, exc: HTTPException) -> GatewayError:
        return self.errors.invalid_parameter("", str(exc.detail))

    def scripted(self, exc: ScriptedError) -> GatewayError:
        """A scenario's error: its catalogue entry at the scripted status; a bare status takes the RPM limit for
        429, the internal error for 5xx (assumed), an invalid parameter otherwise."""
        entry = exc.entry
        if entry is None and (exc.status == 429 or exc.status >= 500):
            entry = self.context.contract.errors["rate_limited" if exc.status == 429 else "internal_error"]
        if entry is None:
            return ArkError(
                exc.status, "InvalidParameter", f"scripted fault HTTP {exc.status}.", "", None, exc.retry_after
            )
        error = catalogued(entry, status=exc.status)
        if exc.retry_after is not None:
            error.retry_after = exc.retry_after
        return error

    def unknown_scenario(self, exc: UnknownScenario) -> GatewayError:
        return self.errors.invalid_parameter("", exc.message)

    def unexpected(self, exc: Exception) -> GatewayError:
        return self.errors.internal(f"mock internal error, {exc.__class__.__name__}")
