"""The request journal: a bounded ring buffer of what clients sent and what the mock answered."""

from __future__ import annotations

import difflib
import logging
import re
import threading
from collections import deque
from typing import Protocol

from mockserver.engine import StoreUnavailable
from mockserver.server.exchange import BODY_LIMIT, Exchange, JournalEntry

log = logging.getLogger("jimeng_mock")


class JournalBackend(Protocol):
    """Where a shared journal lives (a store): packed exchanges (`Exchange.pack`), numbered by the store, the
    newest `keep` kept."""

    def journal_append(self, packed: bytes, keep: int) -> int: ...

    async def ajournal_append(self, packed: bytes, keep: int) -> int:
        """`journal_append`, as a request awaits it before its answer goes out."""

    def journal_entries(self, keep: int) -> list[tuple[int, bytes]]:
        """The kept entries, oldest first, each with its number."""

    def journal_clear(self) -> None: ...

    def journal_len(self, keep: int) -> int: ...


class Journal:
    """In one process, exchanges are kept packed (`Exchange.pack`) and become `JournalEntry`s only when read:
    recording is on every request's path, reading is not. With a shared `backend` (several workers or machines)
    each packed exchange goes to the store."""

    def __init__(self, size: int = 1000, backend: JournalBackend | None = None) -> None:
        self.size = size
        self.backend = backend
        self._entries: deque[bytes] = deque(maxlen=size)
        self._recorded = 0
        """Entries ever added: the newest kept entry's number (an entry's number is its place among them)."""
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        packed = exchange.pack()
        if self.backend is not None:
            try:
                self.backend.journal_append(packed, self.size)
            except StoreUnavailable as exc:  # the answer (a 503, as the store is gone) still goes out
                log.warning("jimeng-mock: %s %s is not journaled: %s", exchange.method, exchange.path, exc)
            return
        with self._lock:
            self._entries.append(packed)
            self._recorded += 1

    async def aadd(self, exchange: Exchange) -> None:
        """`add`, for a request to await before its answer goes out: to the shared store without holding up the
        event loop (the memory journal adds in place)."""
        if self.backend is None:
            self.add(exchange)
            return
        try:
            await self.backend.ajournal_append(exchange.pack(), self.size)
        except StoreUnavailable as exc:  # the answer (a 503, as the store is gone) still goes out
            log.warning("jimeng-mock: %s %s is not journaled: %s", exchange.method, exchange.path, exc)

    def _snapshot(self) -> list[JournalEntry]:
        if self.backend is not None:
            return [Exchange.unpack(packed).entry(seq) for seq, packed in self.backend.journal_entries(self.size)]
        with self._lock:
            raws, first = list(self._entries), self._recorded - len(self._entries) + 1
        return [Exchange.unpack(packed).entry(first + n) for n, packed in enumerate(raws)]

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


__all__ = ["BODY_LIMIT", "Exchange", "Journal", "JournalBackend", "JournalEntry"]
