"""jimmyai's errors: each an entry of the contract's `x-errors` (its HTTP status and code), answered in the
envelope `{code, msg, data: null}`, the code a string ("40001") or, with the `success_code: 0` option, a number."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.errors import ErrorShape, GatewayError
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedBody, MalformedHeader
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario


class JimmyError(GatewayError):
    """An error of jimmyai's catalogue; `name` is its `x-errors` entry."""

    def __init__(self, name: str, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, code, message, retry_after)
        self.name = name


class JimmyErrors:
    """jimmyai's error catalogue: its errors by their vendor names, with the status and code of the contract."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        self.entries = entries

    def named(self, name: str, message: str) -> JimmyError:
        entry = self.entries[name]
        return JimmyError(name, int(entry["http_status"]), str(entry["code"]), message)

    def missing_api_key(self) -> JimmyError:
        return self.named("missing_api_key", "unauthorized: missing API key (send Authorization: Bearer <token>)")

    def invalid_api_key(self) -> JimmyError:
        return self.named("invalid_api_key", "unauthorized: invalid API key")

    def invalid_params(self, message: str) -> JimmyError:
        return self.named("invalid_params", message)

    def task_not_found(self, task_id: str) -> JimmyError:
        return self.named("task_not_found", f"task not found: {task_id}")

    def payload_too_large(self, message: str) -> JimmyError:
        return self.named("payload_too_large", message)

    def route_not_found(self, method: str, path: str) -> JimmyError:
        return self.named("route_not_found", f"route not found: {method} {path}")

    def method_not_allowed(self, method: str, path: str) -> JimmyError:
        return self.named("method_not_allowed", f"method not allowed: {method} {path}")

    def internal_error(self, message: str) -> JimmyError:
        return self.named("internal_error", f"internal error: {message}")


class JimmyShape(ErrorShape):
    """The envelope in the configured code style (a string by default, a number with `success_code: 0`)."""

    def __init__(self, context: ProviderContext) -> None:
        self.errors = JimmyErrors(context.contract.errors)
        self.numeric = context.settings.options.get("success_code", "20000") == 0

    def render(self, error: GatewayError) -> Response:
        code = int(error.code) if self.numeric else str(error.code)
        body = {"code": code, "msg": error.message, "data": None}
        return JsonResponse(body, status_code=error.status, headers=error.response_headers())

    def too_large(self, exc: BodyTooLarge) -> GatewayError:
        return self.errors.payload_too_large(str(exc))

    def malformed(self, exc: MalformedBody) -> GatewayError:
        return self.errors.invalid_params(str(exc))

    def malformed_header(self, exc: MalformedHeader) -> GatewayError:
        return self.errors.invalid_params(str(exc))

    def route_not_found(self, request: Request) -> GatewayError:
        return self.errors.route_not_found(request.method, request.url.path)

    def method_not_allowed(self, request: Request) -> GatewayError:
        return self.errors.method_not_allowed(request.method, request.url.path)

    def http_error(self, request: Request, exc: HTTPException) -> GatewayError:
        return self.errors.internal_error(str(exc))

    def scripted(self, exc: ScriptedError) -> GatewayError:
        """A scenario's error: its catalogue entry, else the bare status as code `<status>00`."""
        entry = exc.entry
        if entry is None:
            message = f"{status_phrase(exc.status)} (HTTP {exc.status})"
            return JimmyError("", exc.status, f"{exc.status}00", message, exc.retry_after)
        return JimmyError(exc.reference, exc.status, str(entry["code"]), str(entry["message"]), exc.retry_after)

    def unknown_scenario(self, exc: UnknownScenario) -> GatewayError:
        return self.errors.invalid_params(exc.message)

    def unexpected(self, exc: Exception) -> GatewayError:
        return self.errors.internal_error(repr(exc))


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"
