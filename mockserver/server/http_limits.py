"""The HTTP server's own limits, for uvicorn: the size of a request's head (its line and headers), the time a
client has to send it, keep-alive and concurrency. uvicorn's httptools protocol bounds neither the head's size
nor the time it takes to arrive, so `GuardedHttpTools` adds both."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver.server.settings import Settings

TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nrequest header fields too large\n"
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
