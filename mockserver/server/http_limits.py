"""The HTTP server's own limits, for uvicorn: the size of a request's head (its line and headers), the time a
client has to send it, keep-alive and concurrency. uvicorn's httptools protocol bounds neither the head's size
nor the time it takes to arrive, nor the time a body takes, so `GuardedHttpTools` adds all three."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver.cassettes import redact_query
from mockserver.server.settings import Settings

TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nrequest header fields too large\n"
)

TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 34\r\nconnection: close\r\n\r\nrequest body not received in time\n"
)


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
        self.body_timeout = settings.http_body_timeout

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
    `h11_max_incomplete_event_size` bytes (counted as they arrive, before the parser buffers them), and its body
    within `body_timeout` seconds of its head.

    A head is being read from the connection's start, and again from the end of each request (the bytes after it
    are the next request's), until the parser has its last header; then its body, until the parser has its end. A
    clock runs only when a read leaves a head or a body unfinished (a request that arrives whole starts none). A
    body found late while the mock is not reading it (a request queued behind another on its connection, a body
    withheld until the app asks for it after `Expect: 100-continue`, a body past uvicorn's buffer) is not the
    client's fault: its clock starts again. A body late past its time gets a plain 408, as a head too large gets its
    431, and the connection is closed: a client that stops sending holds no connection, and no place under the
    concurrency limit, for ever."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.max_head_bytes: int | None = config.h11_max_incomplete_event_size
        self.header_timeout: float | None = getattr(config, "header_timeout", None)
        self.body_timeout: float | None = getattr(config, "body_timeout", None)
        self.reading_head = False
        self.head_bytes = 0
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.reading_head, self.head_bytes = True, 0
        self._arm(self.header_timeout)  # a client that connects and sends nothing

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.reading_head and self.max_head_bytes is not None:
            end = data.find(b"\r\n\r\n")
            self.head_bytes += len(data) if end < 0 else end + 4
            if self.head_bytes > self.max_head_bytes:
                self._stop_clock()
                if not self.transport.is_closing():
                    self.transport.write(TOO_LARGE)
                    self.transport.close()
                return
        super().data_received(data)
        if self.deadline is None and not self.transport.is_closing():
            if not self.reading_head:
                self._arm(self.body_timeout)  # a head arrived whole and its body did not
            elif self.head_bytes:
                self._arm(self.header_timeout)  # a head began and did not arrive whole

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self._stop_clock()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.reading_head, self.head_bytes = True, 0  # what follows is the next request's head
        if self.deadline is not None:
            self._stop_clock()

    def _arm(self, seconds: float | None) -> None:
        if seconds is not None:
            self.deadline = self.loop.call_later(seconds, self._late)

    def _stop_clock(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _late(self) -> None:
        """A head or a body past its time: the connection is closed, after a 408 for a body not yet answered."""
        self.deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if not self.reading_head and cycle is not None:
            if self.pipeline or self.flow.read_paused or cycle.waiting_for_100_continue:
                self._arm(self.body_timeout)  # the mock is not reading the body yet: its clock starts again
                return
            if not cycle.response_started:
                self.transport.write(TIMED_OUT)
        self.transport.close()


async def client_gone(request: Request, exc: Exception) -> Response:
    """A Starlette app's answer to a client that left mid-body, or was cut off by the server for stalling (an
    answer no one reads)."""
    return Response(status_code=400)
