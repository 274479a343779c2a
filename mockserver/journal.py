"""The request journal: a bounded ring buffer of what clients sent and what the mock answered."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_LIMIT = 4096
_TEXT_TYPES = (b"application/json", b"text/", b"application/xml")


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    time: float
    provider: str | None
    method: str
    path: str
    query: str
    status: int
    task_id: str | None
    request_body: str
    response_body: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """Entries are kept as raw tuples and become `JournalEntry`s (bodies decoded) only when read: recording
    is on every request's path, reading is not."""

    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record_raw(
        self,
        time: float,
        provider: str | None,
        method: str,
        path: str,
        query: bytes,
        status: int,
        task_id: str | None,
        request_body: bytes,
        response_body: bytes,
    ) -> None:
        with self._lock:
            seq = next(self._seq)
            self._entries.append(
                (seq, time, provider, method, path, query, status, task_id, request_body, response_body)
            )

    def entries(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        task: str | None = None,
        method: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Newest last. `path` matches a substring of the request path."""
        with self._lock:
            snapshot: Iterable[tuple[Any, ...]] = list(self._entries)
        selected = [
            _entry(raw)
            for raw in snapshot
            if (provider is None or raw[2] == provider)
            and (path is None or path in raw[4])
            and (task is None or raw[7] == task)
            and (method is None or raw[3] == method.upper())
        ]
        return selected[-limit:] if limit else selected

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _entry(raw: tuple[Any, ...]) -> JournalEntry:
    seq, time, provider, method, path, query, status, task_id, request_body, response_body = raw
    return JournalEntry(
        seq, time, provider, method, path, query.decode("latin-1"), status, task_id,
        request_body.decode("utf-8", "replace"), response_body.decode("utf-8", "replace"),
    )  # fmt: skip


class JournalMiddleware:
    """Pure ASGI, so the journal costs a few microseconds per request rather than a task switch."""

    def __init__(self, app: ASGIApp, journal: Journal, now: Callable[[], float], skip: tuple[str, ...] = ()) -> None:
        self.app = app
        self.journal = journal
        self.now = now
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        request_body = bytearray()
        response_body = bytearray()
        status = 500
        capture_response = False

        async def receive_and_record() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) < BODY_LIMIT:
                request_body.extend(message.get("body", b"")[: BODY_LIMIT - len(request_body)])
            return message

        async def send_and_record(message: Message) -> None:
            nonlocal status, capture_response
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"content-type":
                        capture_response = value.startswith(_TEXT_TYPES)
                        break
            elif kind == "http.response.body" and capture_response and len(response_body) < BODY_LIMIT:
                response_body.extend(message.get("body", b"")[: BODY_LIMIT - len(response_body)])
            await send(message)

        try:
            await self.app(scope, receive_and_record, send_and_record)
        finally:
            self.journal.record_raw(
                self.now(), state.get("provider"), scope["method"], scope["path"], scope.get("query_string", b""),
                status, state.get("task_id"), bytes(request_body), bytes(response_body),
            )  # fmt: skip
