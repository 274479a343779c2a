"""Volcengine Visual's two error shapes and where every failure is rendered.

A business error (`BusinessError`) is the service's own envelope, `{code, data, message, request_id, status,
time_elapsed}` with a 5xxxx code (`families.volcengine_visual`, which api.gpt.ge relays too).
An error of the gateway in front (`OpenApiError`: signature, timestamp, unknown action, missing parameter) is
`{"ResponseMetadata": {RequestId, Action, Version, Service, Region, Error: {CodeN, Code, Message}}}`, the Go SDK's
`base/model.go` (reference upstreams.md 1.2). Both are the kit's `GatewayError`s; `VolcengineShape` maps each
failure every gateway meets to one of them and writes each in its own shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.volc_v4 import query_pairs
from mockserver.gateways.families.volcengine_visual import envelope
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.errors import ErrorShape, GatewayError
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedBody, MalformedHeader
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario

SERVICE = "cv"
DEFAULT_REGION = "cn-north-1"
INPUT_INVALID = 50215
INTERNAL_ERROR = 50500


class VolcengineError(GatewayError):
    """An error answer of this gateway, in one of its two shapes."""


class BusinessError(VolcengineError):
    """A business code other than 10000, in the service's envelope; `data` is a failed task's record."""

    def __init__(
        self, status: int, code: int, message: str, data: Any = None, retry_after: float | None = None
    ) -> None:
        super().__init__(status, code, message, retry_after)
        self.data = data


class InputInvalid(BusinessError):
    """50215 Input invalid for this service."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(status, INPUT_INVALID, f"Input invalid for this service: {reason}")


class OpenApiError(VolcengineError):
    """An error of the gateway in front, named by its catalogue entry (`missing_parameter`, ...); `message` replaces
    the catalogue's when the mock can say more. Action, Version and Region are the request's, echoed back."""

    def __init__(
        self,
        context: ProviderContext,
        name: str,
        *,
        message: str | None = None,
        action: str = "",
        version: str = "",
        region: str = DEFAULT_REGION,
    ) -> None:
        entry = context.contract.errors[name]
        super().__init__(int(entry["http_status"]), str(entry["code"]), message or str(entry["message"]))
        self.code_n = int(entry["code_n"])
        self.action, self.version, self.region = action, version, region


def request_action(request: Request) -> tuple[str, str]:
    """The Action and Version a request names ('' for either when absent)."""
    query = dict(query_pairs(request.scope.get("query_string", b"").decode("latin-1")))
    return query.get("Action", ""), query.get("Version", "")


def catalogue_business_error(
    context: ProviderContext, entry: Mapping[str, Any], status: int | None = None
) -> BusinessError:
    return BusinessError(
        status or int(entry["http_status"]),
        int(entry["code"]),
        str(entry["message"]),
        retry_after=entry.get("retry_after"),
    )


class VolcengineShape(ErrorShape):
    """How this gateway answers: the business envelope, or ResponseMetadata for the gateway in front."""

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def render(self, error: GatewayError) -> Response:
        headers = error.response_headers()
        if isinstance(error, OpenApiError):
            body: dict[str, Any] = {"ResponseMetadata": self._metadata(error)}
        else:
            code = error.code if isinstance(error.code, int) else INTERNAL_ERROR
            data = error.data if isinstance(error, BusinessError) else None
            body = envelope(self.context, code, error.message, data, "error")
        return JsonResponse(body, status_code=error.status, headers=headers)

    def _metadata(self, error: OpenApiError) -> dict[str, Any]:
        request_id = envelope(self.context, 0, "-", None, "error")["request_id"]
        return {
            "RequestId": request_id,
            "Action": error.action,
            "Version": error.version,
            "Service": SERVICE,
            "Region": error.region,
            "Error": {"CodeN": error.code_n, "Code": error.code, "Message": error.message},
        }

    def too_large(self, exc: BodyTooLarge) -> VolcengineError:
        return InputInvalid(str(exc), status=413)

    def malformed(self, exc: MalformedBody) -> VolcengineError:
        return InputInvalid(str(exc))

    def malformed_header(self, exc: MalformedHeader) -> VolcengineError:
        return InputInvalid(str(exc))

    def route_not_found(self, request: Request) -> VolcengineError:
        """A path other than `/`, a method other than POST: no operation to route to (assumed:
        InvalidActionOrVersion)."""
        action, version = request_action(request)
        operation = f"{action or '(none)'} for version {version or '(none)'}"
        message = f"Could not find operation {operation} at {request.method} {request.url.path}"
        return OpenApiError(self.context, "invalid_action_or_version", message=message, action=action, version=version)

    def http_error(self, request: Request, exc: HTTPException) -> VolcengineError:
        return BusinessError(exc.status_code, INPUT_INVALID, f"Input invalid for this service: {exc.detail}")

    def scripted(self, exc: ScriptedError) -> VolcengineError:
        """A scenario's error: its catalogue entry at the scripted status. A bare status takes the QPS limit for
        429 and the internal error for 5xx (assumed); any other is 50215."""
        entry = exc.entry
        if entry is None and (exc.status == 429 or exc.status >= 500):
            entry = self.context.contract.error("rate_limited" if exc.status == 429 else "internal_error")
        if entry is None or not isinstance(entry["code"], int):
            return InputInvalid(f"scripted fault HTTP {exc.status}", exc.status)
        error = catalogue_business_error(self.context, entry, exc.status)
        if exc.retry_after is not None:
            error.retry_after = exc.retry_after
        return error

    def unknown_scenario(self, exc: UnknownScenario) -> VolcengineError:
        return InputInvalid(exc.message)

    def unexpected(self, exc: Exception) -> VolcengineError:
        return BusinessError(500, INTERNAL_ERROR, f"Internal Error: mock internal error ({exc.__class__.__name__})")
