"""The request journal: a bounded ring buffer of what clients sent and what the mock answered."""

from __future__ import annotations

import difflib
import itertools
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from mockserver.cassettes import redact_body, redact_query
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

    def _snapshot(self, after: int = 0) -> list[JournalEntry]:
        """The kept entries numbered past `after`, oldest first (in one process only those are unpacked)."""
        if self.backend is not None:
            kept = self.backend.journal_entries(self.size)
            return [Exchange.unpack(packed).entry(seq) for seq, packed in kept if seq > after]
        with self._lock:
            first = self._recorded - len(self._entries) + 1
            skipped = min(max(after - first + 1, 0), len(self._entries))
            raws = list(itertools.islice(self._entries, skipped, None))
        return [Exchange.unpack(packed).entry(first + skipped + n) for n, packed in enumerate(raws)]

    def entries(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        task: str | None = None,
        method: str | None = None,
        status: str | None = None,
        search: str | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Newest last. `path` matches a substring of the request path; `status` is a status (`404`), a class
        (`4xx`) or `unmatched` (what no route or recording answered: a 404); `search` a substring, in any case, of
        the path, query, task id or either body; `after` keeps the entries numbered past it (a live view's cursor)."""
        wanted = search.lower() if search else None
        selected = [
            e
            for e in self._snapshot(after)
            if (provider is None or e.provider == provider)
            and (path is None or path in e.path)
            and (task is None or e.task_id == task)
            and (method is None or e.method == method.upper())
            and (status is None or status_matches(e.status, status))
            and (wanted is None or _holds(e, wanted))
        ]
        return selected[-limit:] if limit else selected

    def entry(self, seq: int) -> JournalEntry | None:
        """The entry numbered `seq`, while the journal keeps it."""
        found = self._snapshot(seq - 1)
        return found[0] if found and found[0].seq == seq else None

    def nearest(self, entry: JournalEntry) -> list[dict[str, Any]]:
        """For an unmatched entry, the answered requests closest to it (by method and path), closest first: each
        distinct request once, with how many times it was made and the number of its first entry."""
        answered = [e for e in self._snapshot() if not unmatched(e)]
        ranked = _closest(answered, f"{entry.method} {entry.path}", with_method=True)
        return [{"request": text, "times": len(made), "seq": made[0].seq} for text, made in ranked]

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
COMPARED_CHARS = 300
"""How much of two requests' `METHOD /path` the nearest-request ranking compares: a path of any length costs no
more than this (whole paths of tens of kilobytes took seconds apiece)."""


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
    target = f"{method.upper()} /{provider}{path}" if method else f"/{provider}{path}"
    ranked = _closest(entries, target, with_method=method is not None)
    distinct = len({_describe(e) for e in entries})
    lines = [f"Nearest requests made ({len(ranked)} of {distinct} distinct, closest first):"]
    return lines + [f"  {text}" + (f"  x{len(made)}" if len(made) > 1 else "") for text, made in ranked]


def _closest(entries: list[JournalEntry], target: str, *, with_method: bool) -> list[tuple[str, list[JournalEntry]]]:
    """The distinct requests among `entries` nearest to `target` (`METHOD /path`, or a path), closest first, at
    most NEAREST_SHOWN, each with the entries that made it."""
    groups: dict[str, list[JournalEntry]] = {}
    for entry in entries:
        groups.setdefault(_describe(entry), []).append(entry)

    def closeness(text: str) -> float:
        entry = groups[text][0]
        made = f"{entry.method} {entry.path}" if with_method else entry.path
        return difflib.SequenceMatcher(None, target[:COMPARED_CHARS], made[:COMPARED_CHARS]).ratio()

    return [(text, groups[text]) for text in sorted(groups, key=closeness, reverse=True)[:NEAREST_SHOWN]]


def unmatched(entry: JournalEntry) -> bool:
    """No route, task or recording answered the request: a 404 (a gateway's, the mock's own, a replay miss)."""
    return entry.status == 404


def status_matches(status: int, wanted: str) -> bool:
    """`wanted` is a status (`404`), a class (`4xx`) or `unmatched`."""
    if wanted == "unmatched":
        return status == 404
    if len(wanted) == 3 and wanted.endswith("xx"):
        return str(status)[0] == wanted[0]
    return str(status) == wanted


STATUS_FILTER = re.compile(r"[1-5](?:[0-9]{2}|xx)|unmatched")
"""What a `status` filter may be."""


def _holds(entry: JournalEntry, wanted: str) -> bool:
    """Whether the entry holds `wanted` (lower case) where the admin API shows it: the query and the bodies as shown,
    with their credentials masked, so that a search cannot find out a masked key a character at a time."""
    shown = (entry.path, redact_query(entry.query), entry.task_id or "")
    if any(wanted in text.lower() for text in shown):
        return True
    return any(
        wanted in body.lower() and wanted in redact_body(body.encode()).decode("utf-8", "replace").lower()
        for body in (entry.request_body, entry.response_body)
    )


__all__ = ["BODY_LIMIT", "STATUS_FILTER", "Exchange", "Journal", "JournalBackend", "JournalEntry", "unmatched"]
