"""The HTTP server's own limits, for uvicorn: the size of a request's head (its line and headers), the time a
client has to send it, keep-alive and concurrency. uvicorn's httptools protocol bounds neither the head's size
nor the time it takes to arrive, so `GuardedHttpTools` adds both; nor the time a body takes, so `BodyDeadline`
bounds it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver.cassettes import redact_query
from mockserver.server.settings import Settings

TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nrequest header fields too large\n"
)

TIMED_OUT_BODY = b"request body not received in time\n"


class BodyTimedOut(ClientDisconnect):
    """The client stopped sending its body: as good as gone, for whoever was reading it."""


class LimitedConfig(uvicorn.Config):
    """uvicorn's configuration with the limits of `settings` (a module-level class, so a worker process started
    by `--workers` unpickles it with them)."""

    def __init__(self, app: Any, settings: Settings, **options: Any) -> None:
        super().__init__(
            app,
            http=GuardedHttpTools,
            h11_max_incomplete_event_size=settings.http_max_header_bytes,
            timeout_keep_alive=settings.http_keep_alive,
            limit_concurrency=settings.http_max_concurrency,
            **options,
        )
        self.header_timeout = settings.http_header_timeout

    def configure_logging(self) -> None:
        """uvicorn's logging at `log_level`, except the access log: on (`--access-log`), it logs every request,
        which it does at a level below any but `info`; the keys a client put in a query are masked there too."""
        super().configure_logging()
        if self.access_log:
            access = logging.getLogger("uvicorn.access")
            access.setLevel(logging.INFO)
            if not any(isinstance(f, MaskedQuery) for f in access.filters):
                access.addFilter(MaskedQuery())


class MaskedQuery(logging.Filter):
    """An access log line with the query's credentials masked, as the journal shows them (uvicorn's line is
    `client - "METHOD path?query HTTP/version" status`, the path with its query the third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            path, _, query = args[2].partition("?")
            record.args = (args[0], args[1], f"{path}?{redact_query(query)}", *args[3:])
        return True


class GuardedHttpTools(HttpToolsProtocol):
    """A connection that must send each request's head within `header_timeout` seconds (counted from the moment
    it connects, or from the first bytes of a later request that do not hold its whole head) and within
    `h11_max_incomplete_event_size` bytes (counted as they arrive, before the parser buffers them).

    A head is being read from the connection's start, and again from the end of each request (the bytes after it
    are the next request's), until the parser has its last header."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.max_head_bytes: int | None = config.h11_max_incomplete_event_size
        self.header_timeout: float | None = getattr(config, "header_timeout", None)
        self.reading_head = False
        self.head_bytes = 0
        self.head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.reading_head, self.head_bytes = True, 0
        self._arm()  # a client that connects and sends nothing

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.reading_head and self.max_head_bytes is not None:
            end = data.find(b"\r\n\r\n")
            self.head_bytes += len(data) if end < 0 else end + 4
            if self.head_bytes > self.max_head_bytes:
                self._stop_head()
                if not self.transport.is_closing():
                    self.transport.write(TOO_LARGE)
                    self.transport.close()
                return
        super().data_received(data)
        if self.reading_head and self.head_bytes and self.head_deadline is None:
            self._arm()  # a head began and did not arrive whole: it has `header_timeout` from now

    def on_headers_complete(self) -> None:
        self._stop_head()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.reading_head, self.head_bytes = True, 0  # what follows is the next request's head

    def _arm(self) -> None:
        """Start the head's clock: at connection, and when a read leaves a later request's head unfinished."""
        if self.header_timeout is not None:
            self.head_deadline = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _stop_head(self) -> None:
        self.reading_head = False
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_slow(self) -> None:
        self.head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


class BodyDeadline:
    """A request's body must arrive whole within `timeout` seconds of the app's first read of it: a client that
    stops sending (a Content-Length it does not fill, a chunked body without its last chunk, a body withheld after
    `Expect: 100-continue`) gets a plain 408, as from the HTTP server, and its connection is closed, rather than
    holding it, and a place under the concurrency limit, for ever. The clock starts at the first read, not at the
    head, so that a request queued behind another on its connection, or delayed by a latency fault, loses none of
    its time.

    The read that times out raises `BodyTimedOut`: a gateway lets it through (`routing`) to be answered here;
    the Starlette apps (admin, the root mount) answer it with `client_gone`. A client that leaves mid-body gets no
    answer (there is no one to send it to) and leaves no traceback. `send` is passed on as is: the network faults
    reach the connection through it."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        whole = False

        async def receive_in_time() -> Message:
            nonlocal deadline, whole
            if whole:  # what is left to wait for is the client leaving (a hanging fault waits for that)
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut() from None
            whole = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        try:
            await self.app(scope, receive_in_time, send)
        except BodyTimedOut:
            await timed_out()(scope, receive, send)
        except ClientDisconnect:
            pass


def timed_out() -> Response:
    return Response(TIMED_OUT_BODY, status_code=408, media_type="text/plain", headers={"connection": "close"})


async def client_gone(request: Request, exc: Exception) -> Response:
    """A Starlette app's answer to a client that stalled mid-body (the 408) or left (an answer no one reads)."""
    return timed_out() if isinstance(exc, BodyTimedOut) else Response(status_code=400)
