"""A gateway's routes as one small ASGI app.

It answers as a `Starlette(routes=..., exception_handlers=...)` app would (the same route order, 404, 405
with `Allow`, trailing-slash redirects, handlers looked up by exception class, a crash answered by the
`Exception` handler and then re-raised for the server to log) in one layer rather than five: every gateway
request passes through here, and Starlette's error middleware, router and endpoint wrapper each add a
coroutine and a `send` wrapper to it. Every answer goes out through `answer`, so a front layer that journals
sees each whole response through its `ANSWERED` hook rather than wrapping `send`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.convertors import Convertor, StringConvertor
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockserver.gateways.kit.cors import CorsPolicy
from mockserver.gateways.kit.faults import FAULTY_SEND, SCRIPTED_FAULTS

Endpoint = Callable[[Request], Awaitable[Response]]
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]

ANSWERED = "jimeng.answered"
"""Scope key of a hook a front layer may set (the journal): called as `hook(scope, response)` with every whole
response just before it is sent, so that layer needs no `send` wrapper; what it returns, when not None, is awaited
before the response goes out (a shared journal's write)."""


async def answer(scope: Scope, receive: Receive, send: Send, response: Response) -> None:
    """Send `response`, after handing it to the scope's `ANSWERED` hook if there is one, through the faulty `send`
    when the request was scripted network faults: no layer wraps `send` for the many requests that have none."""
    hook = scope.get(ANSWERED)
    if hook is not None and (written := hook(scope, response)) is not None:
        await written
    state = scope.get("state")
    if state and SCRIPTED_FAULTS in state and (faulty := scope.get(FAULTY_SEND)) is not None:
        send = faulty(send, receive, state)
    await response(scope, receive, send)


@dataclass(frozen=True)
class _Compiled:
    path: str | None
    """The whole path of a route without parameters (compared as a string), else None."""
    regex: re.Pattern[str]
    convertors: dict[str, Convertor[Any]]
    methods: frozenset[str]
    endpoint: Endpoint
    text_only: bool
    """Every parameter is a plain `{name}` (a string as matched): nothing to convert."""

    def match(self, path: str) -> dict[str, Any] | None:
        if self.path is not None:
            return {} if path == self.path else None
        found = self.regex.match(path)
        if found is None:
            return None
        if self.text_only:
            return found.groupdict()
        return {name: self.convertors[name].convert(value) for name, value in found.groupdict().items()}


class GatewayApp:
    def __init__(
        self,
        routes: Sequence[Route],
        exception_handlers: Mapping[Any, ExceptionHandler],
        cors: CorsPolicy | None = None,
    ) -> None:
        self.routes = list(routes)
        self.cors = cors
        """The lineage's cross-origin answers (kit.cors); None: the gateway sends no CORS headers."""
        self.exception_handlers: dict[Any, ExceptionHandler] = dict(exception_handlers)
        crash: ExceptionHandler | None = self.exception_handlers.get(500) or self.exception_handlers.get(Exception)
        self._crash_handler = crash
        self._compiled = [_compile(route) for route in self.routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # a gateway serves HTTP only; the lifespan belongs to the app around it
        method = scope["method"]
        if method == "OPTIONS" and self.cors is not None and (preflight := self.cors.preflight(scope)) is not None:
            await answer(scope, receive, send, preflight)
            return
        path = _route_path(scope)
        partial: _Compiled | None = None
        partial_params: dict[str, Any] = {}
        for route in self._compiled:
            params = route.match(path)
            if params is None:
                continue
            if method in route.methods:
                scope["path_params"] = {**scope.get("path_params", {}), **params}
                await self._answer(scope, receive, send, route.endpoint)
                return
            if partial is None:  # its parameters are the scope's only if no later route takes the method
                partial, partial_params = route, params
        if partial is not None:
            scope["path_params"] = {**scope.get("path_params", {}), **partial_params}
            await self._answer(scope, receive, send, _refuse(405, {"Allow": ", ".join(sorted(partial.methods))}))
        elif (redirect := self._redirect(scope, path)) is not None:
            await self._send(scope, receive, send, redirect)
        else:
            await self._answer(scope, receive, send, _refuse(404))

    async def _answer(self, scope: Scope, receive: Receive, send: Send, endpoint: Endpoint) -> None:
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except ClientDisconnect:  # gone, or cut off by the server for stalling mid-body: no one to answer
            return
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                if (hook := scope.get(ANSWERED)) is not None:
                    crashed = PlainTextResponse("Internal Server Error", status_code=500)  # what the server sends
                    if (written := hook(scope, crashed)) is not None:
                        await written
                raise
            await self._send(scope, receive, send, await handler(request, exc))
            if handler is self._crash_handler:
                raise
            exc.__traceback__ = None  # a reused exception instance would keep every traceback it passed through
            return
        await self._send(scope, receive, send, response)

    async def _send(self, scope: Scope, receive: Receive, send: Send, response: Response) -> None:
        """`answer`, with the lineage's CORS headers on the response (errors too, in the gateway's own body)."""
        if self.cors is not None:
            response.raw_headers.extend(self.cors.headers(scope))
        await answer(scope, receive, send, response)

    async def answer_error(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        """Answer `exc`, raised for this gateway outside its routes (a status an `X-Mock-Fault` header scripts),
        through its exception handlers, as if a route had raised it."""
        handler = self._handler(exc)
        if handler is None:
            raise exc
        await self._send(scope, receive, send, await handler(Request(scope, receive, send), exc))

    def _handler(self, exc: Exception) -> ExceptionHandler | None:
        handlers = self.exception_handlers
        if isinstance(exc, HTTPException) and exc.status_code in handlers:
            return handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in handlers and cls is not Exception:
                return handlers[cls]
        return self._crash_handler

    def _redirect(self, scope: Scope, path: str) -> Response | None:
        """Starlette's `redirect_slashes`: `/a/` to `/a` (or back) when only the other spelling is a route."""
        if path == "/":
            return None
        other = dict(scope)
        other["path"] = scope["path"].rstrip("/") if path.endswith("/") else scope["path"] + "/"
        if any(route.match(_route_path(other)) is not None for route in self._compiled):
            return RedirectResponse(url=str(URL(scope=other)))
        return None


def _compile(route: Route) -> _Compiled:
    if not (inspect.isfunction(route.endpoint) or inspect.ismethod(route.endpoint)):
        raise TypeError(f"route {route.path}: a gateway endpoint is a function of a request, not {route.endpoint!r}")
    static = route.path if not route.param_convertors else None
    methods = frozenset(route.methods or ())  # a function's Route always has them (GET by default)
    convertors = dict(route.param_convertors)
    text_only = all(type(convertor) is StringConvertor for convertor in convertors.values())
    return _Compiled(static, route.path_regex, convertors, methods, route.endpoint, text_only)


def _refuse(status: int, headers: dict[str, str] | None = None) -> Endpoint:
    async def refuse(request: Request) -> Response:
        raise HTTPException(status, headers=headers)

    return refuse


def _route_path(scope: Scope) -> str:
    """The path below the gateway's mount (Starlette's `get_route_path`)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path
