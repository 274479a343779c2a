"""The request journal: a bounded ring buffer of what clients sent and what the mock answered."""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from mockserver.server.exchange import BODY_LIMIT, Exchange, JournalEntry


class JournalBackend(Protocol):
    """Where a shared journal lives (a store): entries as dicts, numbered by the store, the newest `keep` kept."""

    def journal_append(self, entry: dict[str, Any], keep: int) -> int: ...

    def journal_entries(self, keep: int) -> list[dict[str, Any]]: ...

    def journal_clear(self) -> None: ...

    def journal_len(self, keep: int) -> int: ...


class Journal:
    """In one process, exchanges are kept packed (`Exchange.pack`) and become `JournalEntry`s only when read:
    recording is on every request's path, reading is not. With a shared `backend` (several workers or machines)
    each entry goes to the store as a dict."""

    def __init__(self, size: int = 1000, backend: JournalBackend | None = None) -> None:
        self.size = size
        self.backend = backend
        self._entries: deque[bytes] = deque(maxlen=size)
        self._recorded = 0
        """Entries ever added: the newest kept entry's number (an entry's number is its place among them)."""
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        if self.backend is not None:
            entry = exchange.entry(0).to_dict()
            del entry["seq"]
            self.backend.journal_append(entry, self.size)
            return
        packed = exchange.pack()
        with self._lock:
            self._entries.append(packed)
            self._recorded += 1

    def _snapshot(self) -> list[JournalEntry]:
        if self.backend is not None:
            return [JournalEntry(**entry) for entry in self.backend.journal_entries(self.size)]
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

    def callbacks(self, *, provider: str | None = None, task: str | None = None) -> list[JournalEntry]:
        """The callbacks the mock sent (an entry's path is then the receiver's URL; status 0: no answer came),
        oldest first."""
        return [e for e in self.entries(provider=provider, task=task) if not e.path.startswith("/")]

    def assert_callbacks(self, task: str, statuses: Sequence[str], *, answered: bool = False) -> None:
        """Fail unless the task's callbacks carried exactly these statuses, in this order (every attempt counts;
        with `answered`, only deliveries the receiver answered 2xx). The message lists what was sent."""
        sent = [e for e in self.callbacks(task=task) if not answered or 200 <= e.status < 300]
        carried = [_callback_status(e) for e in sent]
        if carried == list(statuses):
            return
        lines = [f"expected task {task}'s callbacks to carry {list(statuses)}, but they carried {carried}."]
        lines += [f"  {_callback_status(e)} -> {e.path}: {e.status or 'no answer'}" for e in self.callbacks(task=task)]
        raise AssertionError("\n".join(lines) if sent else lines[0] + " No callback of it was sent.")

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


def _callback_status(entry: JournalEntry) -> str:
    try:
        return str(json.loads(entry.request_body).get("status"))
    except (ValueError, AttributeError):
        return "?"


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
