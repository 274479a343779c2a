"""The request journal: a bounded ring buffer of what clients sent and what the mock answered."""

from __future__ import annotations

import difflib
import marshal
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_LIMIT = 64 * 1024
REQUEST_BODY = "request_body"
"""Key in a request's `scope["state"]` where an app that reads the body leaves it for `AnswerRecorder` (None: the
body was refused unread, so the exchange cannot be replayed)."""
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
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    complete: bool = True
    """Both bodies were captured whole (text under the size limit), so the exchange can be replayed."""
    worker: int = 0
    """The id of the process that served it: with several workers, which one answered."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class JournalBackend(Protocol):
    """Where a shared journal lives (a store): entries as dicts, numbered by the store, the newest `keep` kept."""

    def journal_append(self, entry: dict[str, Any], keep: int) -> int: ...

    def journal_entries(self, keep: int) -> list[dict[str, Any]]: ...

    def journal_clear(self) -> None: ...

    def journal_len(self, keep: int) -> int: ...


class Journal:
    """In one process, entries are kept as raw tuples and become `JournalEntry`s (bodies and headers decoded)
    only when read: recording is on every request's path, reading is not. With a shared `backend` (several
    workers or machines) each entry goes to the store as a dict."""

    def __init__(self, size: int = 1000, backend: JournalBackend | None = None) -> None:
        self.size = size
        self.backend = backend
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=size)
        self._recorded = 0
        """Entries ever added: the newest kept entry's number (an entry's number is its place among them)."""
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
        request: tuple[Headers, bytes],
        response: tuple[Headers, bytes],
        complete: bool,
        worker: int = 0,
    ) -> None:
        self.add((time, provider, method, path, query, status, task_id, request, response, complete, worker))

    def add(self, raw: tuple[Any, ...]) -> None:
        """Record an exchange given as `record_raw`'s arguments in one tuple (the middleware's way: one call), or as
        an `AnswerRecorder` record (instant, scope, response, worker)."""
        if self.backend is not None:
            entry = _entry(0, raw).to_dict()
            del entry["seq"]
            self.backend.journal_append(entry, self.size)
            return
        with self._lock:
            self._entries.append(raw)
            self._recorded += 1

    def _snapshot(self) -> list[JournalEntry]:
        if self.backend is not None:
            return [JournalEntry(**entry) for entry in self.backend.journal_entries(self.size)]
        with self._lock:
            raws, first = list(self._entries), self._recorded - len(self._entries) + 1
        return [_entry(first + n, raw) for n, raw in enumerate(raws)]

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
        selected = [
            e
            for e in self._snapshot()
            if (provider is None or e.provider == provider)
            and (path is None or path in e.path)
            and (task is None or e.task_id == task)
            and (method is None or e.method == method.upper())
        ]
        return selected[-limit:] if limit else selected

    def calls(self, provider: str, path: str, *, method: str | None = None) -> list[JournalEntry]:
        """Requests to `path` on a gateway: relative to it (`/jimeng/fetch/{task_id}`, where `{name}` stands
        for one path segment) or absolute (`/crazyrouter/jimeng/fetch/123`)."""
        pattern = _path_pattern(path)
        return [
            e
            for e in self.entries(provider=provider, method=method)
            if pattern.fullmatch(e.path) or pattern.fullmatch(_within(provider, e.path))
        ]

    def assert_called(self, provider: str, path: str, *, times: int | None = None, method: str | None = None) -> None:
        """Fail unless `path` was requested (exactly `times` times, when given); the message lists the nearest
        requests that were made, closest first."""
        made = self.calls(provider, path, method=method)
        if (times is None and made) or len(made) == times:
            return
        wanted = f"{method.upper() + ' ' if method else ''}{provider} {path}"
        expected = "at least once" if times is None else f"{times} time{'s' * (times != 1)}"
        lines = [f"expected {wanted} to be called {expected}, but it was called {len(made)} times."]
        lines += _nearest(self.entries(), provider, path, method, matched=made)
        raise AssertionError("\n".join(lines))

    def assert_not_called(self, provider: str, path: str, *, method: str | None = None) -> None:
        self.assert_called(provider, path, times=0, method=method)

    def clear(self) -> None:
        if self.backend is not None:
            self.backend.journal_clear()
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        if self.backend is not None:
            return self.backend.journal_len(self.size)
        return len(self._entries)


NEAREST_SHOWN = 5
ANSWERED_FIELDS = 3
"""An `AnswerRecorder` record: (instant, packed exchange, worker); read into the full fields by `_answered`."""
Headers = Iterable[tuple[bytes, bytes]]


def _entry(seq: int, raw: tuple[Any, ...]) -> JournalEntry:
    if len(raw) == ANSWERED_FIELDS:
        raw = _answered(*raw)
    time, provider, method, path, query, status, task_id, request, response, complete, worker = raw
    return JournalEntry(
        seq, time, provider, method, path, query.decode("latin-1"), status, task_id,
        request[1].decode("utf-8", "replace"), response[1].decode("utf-8", "replace"),
        _headers(request[0]), _headers(response[0]), complete, worker,
    )  # fmt: skip


def _headers(raw: Headers) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", path)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


def _within(provider: str, path: str) -> str:
    """The path as the gateway sees it, under its `/<provider>` mount."""
    prefix = f"/{provider}"
    return path[len(prefix) :] if path.startswith(prefix + "/") else path


def _describe(entry: JournalEntry) -> str:
    query = f"?{entry.query}" if entry.query else ""
    return f"{entry.method} {entry.path}{query} -> {entry.status} ({entry.provider or 'no gateway'})"


def _nearest(
    entries: list[JournalEntry], provider: str, path: str, method: str | None, matched: list[JournalEntry]
) -> list[str]:
    if not entries:
        return ["No request was made at all."]
    if matched:
        shown = matched[:NEAREST_SHOWN]
        more = f" (first {len(shown)})" if len(matched) > len(shown) else ""
        return [f"Matching requests{more}:", *(f"  {_describe(e)}" for e in shown)]
    groups: dict[str, list[JournalEntry]] = {}
    for entry in entries:
        groups.setdefault(_describe(entry), []).append(entry)
    target = f"{method.upper()} /{provider}{path}" if method else f"/{provider}{path}"

    def closeness(text: str) -> float:
        entry = groups[text][0]
        made = f"{entry.method} {entry.path}" if method else entry.path
        return difflib.SequenceMatcher(None, target, made).ratio()

    closest = sorted(groups, key=closeness, reverse=True)[:NEAREST_SHOWN]
    lines = [f"Nearest requests made ({len(closest)} of {len(groups)} distinct, closest first):"]
    return lines + [f"  {text}" + (f"  x{len(groups[text])}" if len(groups[text]) > 1 else "") for text in closest]


class AnswerRecorder:
    """Journals a response that is about to be sent whole, from the response itself: a gateway hands each of its
    answers to this (the `routing.ANSWERED` hook in its scope), so its requests need no `send` or `receive`
    wrapper. The request body is the one the gateway read (`http.read_body` leaves it in the scope's state).

    What an entry needs of the scope and the response is packed with `marshal` into one bytes object (bodies cut
    one byte past the limit) and decoded when the journal is read (`_answered`). Keeping the scope and the
    response themselves would keep every object a request made alive for a thousand requests more: each request
    would then build its objects in memory last touched a thousand requests earlier, out of the processor's
    caches (see ARCHITECTURE.md)."""

    def __init__(self, journal: Journal, now: Callable[[], float]) -> None:
        self.journal = journal
        self.now = now
        self.worker = os.getpid()

    def __call__(self, scope: Scope, response: Response) -> None:
        state = scope.get("state") or _NO_STATE
        request_body: bytes | None = state.get(REQUEST_BODY, b"")
        body: bytes | None = getattr(response, "body", None)  # none on a streamed answer
        exchange = (
            scope["method"], scope["path"], scope.get("query_string", b""), scope.get("headers", ()),
            state.get("provider"), state.get("task_id"), request_body and request_body[:_KEPT],
            response.status_code, response.raw_headers, body and body[:_KEPT],
        )  # fmt: skip
        try:
            packed = marshal.dumps(exchange, _MARSHAL_VERSION)
        except ValueError:  # headers in a form marshal does not write (an ASGI server's own sequence type)
            packed = marshal.dumps(_with_plain_headers(exchange), _MARSHAL_VERSION)
        self.journal.add((self.now(), packed, self.worker))


_NO_STATE: dict[str, Any] = {}
_MARSHAL_VERSION = 2
"""The format before shared references (3): an exchange shares few objects, and the later versions' table of every
object written cost about a third of the packing."""
_KEPT = BODY_LIMIT + 1
"""Bytes of a body an entry keeps: one past the limit, so reading it knows the body was cut."""


def _with_plain_headers(exchange: tuple[Any, ...]) -> tuple[Any, ...]:
    """The exchange with both header sequences as lists of byte pairs."""
    plain = list(exchange)
    for index in (3, 8):
        plain[index] = [(bytes(name), bytes(value)) for name, value in exchange[index]]
    return tuple(plain)


def _answered(time: float, packed: bytes, worker: int) -> tuple[Any, ...]:
    """An `AnswerRecorder` record as the fields `record_raw` takes."""
    method, path, query, request_headers, provider, task_id, request_body, status, headers, body = marshal.loads(packed)
    if body is None or not _is_text(headers):
        body, complete = b"", False
    elif len(body) > BODY_LIMIT:
        body, complete = body[:BODY_LIMIT], False
    else:
        complete = True
    if request_body is None:  # refused unread
        request_body, complete = b"", False
    elif len(request_body) > BODY_LIMIT:
        request_body, complete = request_body[:BODY_LIMIT], False
    return (
        time, provider, method, path, query, status, task_id, (request_headers, request_body), (headers, body),
        complete, worker,
    )  # fmt: skip


def _is_text(headers: Headers) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return value.startswith(_TEXT_TYPES)
    return False


class JournalMiddleware:
    """Pure ASGI, so the journal costs a few microseconds per request rather than a task switch."""

    def __init__(self, app: ASGIApp, journal: Journal, now: Callable[[], float], skip: tuple[str, ...] = ()) -> None:
        self.app = app
        self.journal = journal
        self.now = now
        self.skip = skip
        self.worker = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope, receive, send)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        finally:
            exchange.record()


class _Exchange:
    """One request on its way through: the body it sent, the answer it got (text bodies, up to BODY_LIMIT
    each), recorded once."""

    __slots__ = (
        "_receive", "_send", "capture_response", "complete", "middleware", "recorded", "request_body",
        "response_body", "response_headers", "scope", "state", "status",
    )  # fmt: skip

    def __init__(self, middleware: JournalMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        self.middleware, self.scope, self._receive, self._send = middleware, scope, receive, send
        self.state: dict[str, Any] = scope.setdefault("state", {})
        self.request_body = self.response_body = b""
        self.status = 500
        self.response_headers: Headers = ()
        self.capture_response = False
        self.complete = True
        self.recorded = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and (chunk := message.get("body", b"")):
            self.request_body = self._kept(self.request_body, chunk)
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.response_headers = message.get("headers", ())
            self.capture_response = _is_text(self.response_headers)
            self.complete = self.complete and self.capture_response
        elif kind == "http.response.body":
            if self.capture_response and (chunk := message.get("body", b"")):
                self.response_body = self._kept(self.response_body, chunk)
            if not message.get("more_body", False):
                self.record()  # before the last byte leaves: a client that has its answer finds it journaled
        await self._send(message)

    def _kept(self, kept: bytes, chunk: bytes) -> bytes:
        room = BODY_LIMIT - len(kept)
        if len(chunk) > room:
            self.complete = False
            chunk = chunk[: max(0, room)]
        return kept + chunk if kept else bytes(chunk)

    def record(self) -> None:
        if self.recorded:
            return
        self.recorded = True
        scope, state, middleware = self.scope, self.state, self.middleware
        middleware.journal.add((
            middleware.now(), state.get("provider"), scope["method"], scope["path"], scope.get("query_string", b""),
            self.status, state.get("task_id"), (scope.get("headers", ()), self.request_body),
            (self.response_headers, self.response_body), self.complete, middleware.worker,
        ))  # fmt: skip
