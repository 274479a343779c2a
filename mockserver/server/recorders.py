"""The journal's two recorders: `AnswerRecorder` for the gateways' answers (handed to it whole, before they are
sent) and `JournalMiddleware` for every other request (read from the ASGI messages going by). Both record one
`Exchange` per request, before the last byte of its answer leaves."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.server.exchange import KEPT, Exchange, Headers, is_text, kept
from mockserver.server.journal import Journal

STARTED = "jimeng.started"
"""Scope key of the stopwatch started when a request reaches the mock (`core.clock.stopwatch`): the journal's
latency."""
REQUEST_BODY = "request_body"
"""Key in a request's `scope["state"]` where an app that reads the body leaves it for `AnswerRecorder` (None: the
body was refused unread, so the exchange cannot be replayed)."""


class AnswerRecorder:
    """Journals a response that is about to be sent whole, from the response itself: a gateway hands each of its
    answers to this (the `routing.ANSWERED` hook in its scope), so its requests need no `send` or `receive`
    wrapper. The request body is the one the gateway read (`http.read_body` leaves it in the scope's state).
    With a shared journal, it returns the store's write for `answer` to await."""

    def __init__(self, journal: Journal, now: Callable[[], float]) -> None:
        self.journal = journal
        self.now = now
        self.worker = os.getpid()

    def __call__(self, scope: Scope, response: Response) -> Awaitable[Any] | None:
        state = scope.get("state") or _NO_STATE
        exchange = _exchange(
            scope,
            state,
            time=self.now(),
            worker=self.worker,
            request_body=kept(state.get(REQUEST_BODY, b"")),
            status=response.status_code,
            response_headers=response.raw_headers,
            response_body=kept(getattr(response, "body", None)),  # none on a streamed answer
        )
        if self.journal.backend is not None:
            return self.journal.aadd(exchange)
        self.journal.add(exchange)
        return None


_NO_STATE: dict[str, Any] = {}


class JournalMiddleware:
    """Journals what the gateways do not (admin, media, the index, unknown routes) from the ASGI messages going by.
    Pure ASGI: it sees the messages as they go by and starts no task of its own."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        now: Callable[[], float],
        skip: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.journal = journal
        self.now = now
        self.skip = skip
        self.worker = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
            return
        capture = _Capture(self, scope, receive, send)
        try:
            await self.app(scope, capture.receive, capture.send)
        finally:
            await capture.record()


class _Capture:
    """One request on its way through: the body it sent and the answer it got (text bodies only, cut one byte past
    the limit), recorded once as an `Exchange`."""

    __slots__ = ("_receive", "_send", "middleware", "recorded", "request_body", "response", "scope", "state", "status")

    def __init__(self, middleware: JournalMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        self.middleware, self.scope, self._receive, self._send = middleware, scope, receive, send
        self.state: dict[str, Any] = scope.setdefault("state", {})
        self.request_body = b""
        self.status = 500
        self.response: tuple[Any, bytes | None] = ((), b"")
        """The answer's headers, and its body while it is text (None: not kept, as it will not be shown)."""
        self.recorded = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and (chunk := message.get("body", b"")):
            self.request_body = _joined(self.request_body, chunk)
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            headers = message.get("headers", ())
            self.response = (headers, b"" if is_text(headers) else None)
        elif kind == "http.response.body":
            headers, body = self.response
            if body is not None and (chunk := message.get("body", b"")):
                self.response = (headers, _joined(body, chunk))
            if not message.get("more_body", False):
                await self.record()  # before the last byte leaves: a client that has its answer finds it journaled
        await self._send(message)

    async def record(self) -> None:
        if self.recorded:
            return
        self.recorded = True
        middleware = self.middleware
        response_headers, response_body = self.response
        exchange = _exchange(
            self.scope,
            self.state,
            time=middleware.now(),
            worker=middleware.worker,
            request_body=self.request_body,
            status=self.status,
            response_headers=response_headers,
            response_body=response_body,
        )
        await middleware.journal.aadd(exchange)


def _exchange(
    scope: Scope,
    state: dict[str, Any],
    *,
    time: float,
    worker: int,
    request_body: bytes | None,
    status: int,
    response_headers: Headers,
    response_body: bytes | None,
) -> Exchange:
    """An exchange of the request `scope` (its method, path, query and headers; the provider and task its state
    names) with the bodies and answer a recorder saw, in the order of `Exchange`'s fields."""
    return Exchange(
        time,
        state.get("provider"),
        scope["method"],
        scope["path"],
        scope.get("query_string", b""),
        scope.get("headers", ()),
        request_body,
        status,
        response_headers,
        response_body,
        state.get("task_id"),
        worker,
        None if (started := scope.get(STARTED)) is None else started(),
    )


def _joined(kept_so_far: bytes, chunk: bytes) -> bytes:
    """A body with one more chunk, kept up to one byte past the limit."""
    room = KEPT - len(kept_so_far)
    if room <= 0:
        return kept_so_far
    return kept_so_far + bytes(chunk[:room])


__all__ = ["REQUEST_BODY", "AnswerRecorder", "JournalMiddleware"]
