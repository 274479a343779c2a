"""Where every gateway's errors are rendered: one pipeline, one shape per gateway.

A gateway raises a `GatewayError` (its own subclass, named after the vendor's codes, in `gateways/<id>/errors.py`)
or meets a failure every gateway meets: a body too large or malformed, a malformed `X-Mock-Fault` header
(`kit.http`), a path or a method no route takes, a scenario's scripted error or unknown name, a shared store that
does not answer (a 503), an unexpected exception. `exception_handlers(shape)` maps each of those, for every
gateway, to the gateway's own error (the `ErrorShape`'s choice) and renders it in the gateway's body and headers
(the shape's `render`). A 405 carries `Allow`; an error with a retry delay carries `Retry-After`; an unexpected
exception is answered 500 in the gateway's shape and then raised again for the server's log, as Starlette's error
middleware does (`GatewayApp` does the raising).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.engine import StoreUnavailable
from mockserver.gateways.kit.http import BodyTooLarge, MalformedBody, MalformedHeader
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario

Handler = Callable[[Request, Exception], Awaitable[Response]]
STORE_RETRY_SECONDS = 1.0
"""The `Retry-After` of the 503 a request gets while the shared store does not answer."""


class GatewayError(Exception):
    """An error answer: its HTTP status, the gateway's code and message, and the seconds a client should wait
    before retrying (`Retry-After`). `headers` are added to the gateway's own (a 405's `Allow`)."""

    def __init__(
        self,
        status: int,
        code: str | int,
        message: str,
        retry_after: float | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.headers = dict(headers or {})

    def response_headers(self) -> dict[str, str]:
        """The headers this error adds to the gateway's own: `Retry-After` (whole seconds written as an integer)
        and any given ones."""
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = retry_after_value(self.retry_after)
        return headers


def retry_after_value(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


class ErrorShape(ABC):
    """How one gateway answers errors: which of its errors each common failure becomes, and how an error is
    written (body and headers)."""

    @abstractmethod
    def render(self, error: GatewayError) -> Response:
        """The answer for `error`, with `error.response_headers()` among its headers."""

    @abstractmethod
    def too_large(self, exc: BodyTooLarge) -> GatewayError: ...

    @abstractmethod
    def malformed(self, exc: MalformedBody) -> GatewayError: ...

    @abstractmethod
    def malformed_header(self, exc: MalformedHeader) -> GatewayError:
        """A header the mock reads that it cannot read (`X-Mock-Fault`), or one naming an error the gateway
        does not have."""

    @abstractmethod
    def route_not_found(self, request: Request) -> GatewayError: ...

    def method_not_allowed(self, request: Request) -> GatewayError:
        """A known path with a method none of its routes takes. Most gateways' routers answer it as an unknown
        path; one that answers 405 gets the `Allow` header from the pipeline."""
        return self.route_not_found(request)

    @abstractmethod
    def http_error(self, request: Request, exc: HTTPException) -> GatewayError:
        """Another HTTP error raised inside the gateway (Starlette raises some while reading a request)."""

    @abstractmethod
    def scripted(self, exc: ScriptedError) -> GatewayError:
        """A scenario's error: its catalogue entry (`exc.entry`), else a bare status."""

    @abstractmethod
    def unknown_scenario(self, exc: UnknownScenario) -> GatewayError: ...

    def store_unavailable(self, exc: StoreUnavailable) -> GatewayError:
        """The shared store did not answer: a bare 503 in the gateway's shape, as a scenario scripts one."""
        return self.scripted(ScriptedError(None, 503, STORE_RETRY_SECONDS, str(exc)))

    @abstractmethod
    def unexpected(self, exc: Exception) -> GatewayError:
        """A bug of the mock: answered 500 in the gateway's shape (the exception then goes to the server's log)."""


def exception_handlers(shape: ErrorShape) -> dict[Any, Handler]:
    """The exception handlers of a gateway's `GatewayApp`: every failure answered in `shape`, never a bare 500."""

    def rendering(error_for: Callable[[Any], GatewayError]) -> Handler:
        async def handler(request: Request, exc: Exception) -> Response:
            return shape.render(error_for(exc))

        return handler

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return shape.render(shape.route_not_found(request))
        if exc.status_code == 405:
            error = shape.method_not_allowed(request)
            if error.status == 405 and exc.headers and "Allow" in exc.headers:
                error.headers.setdefault("Allow", exc.headers["Allow"])
            return shape.render(error)
        return shape.render(shape.http_error(request, exc))

    return {
        GatewayError: rendering(lambda error: error),
        BodyTooLarge: rendering(shape.too_large),
        MalformedBody: rendering(shape.malformed),
        MalformedHeader: rendering(shape.malformed_header),
        HTTPException: on_http,
        ScriptedError: rendering(shape.scripted),
        UnknownScenario: rendering(shape.unknown_scenario),
        StoreUnavailable: rendering(shape.store_unavailable),
        Exception: rendering(shape.unexpected),
    }
