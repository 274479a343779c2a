"""What a shared store keeps besides tasks: the random source's counters, the clock's state and the journal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

from mockserver.engine.task import Task


class StoreError(ValueError):
    """A store that cannot be opened (bad URL, unreachable server, missing client library)."""


class SharedStore(Protocol):
    """A `TaskStore` that several processes can use at once, and that also holds the state beside tasks:
    the `Counters` of the random source, the `SharedClockState` of the clock, and the journal."""

    # TaskStore
    def add(self, task: Task) -> bool: ...
    def get(self, task_id: str, now: float) -> Task | None: ...
    def record_poll(self, task_id: str, now: float) -> Task | None: ...
    def mark_finished(self, task_id: str, when: float) -> None: ...
    def scan(self, now: float) -> Iterator[Task]: ...
    def remove(self, task_id: str) -> bool: ...
    def purge(self, now: float) -> int: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...

    # Counters
    def next_number(self, family: str) -> int: ...
    def reset_counters(self) -> None: ...

    # SharedClockState
    def load_clock(self) -> str | None: ...
    def swap_clock(self, expected: str | None, new: str) -> bool: ...

    # the media signing key
    def media_key(self, candidate: str) -> str:
        """The key every instance on this store signs result URLs with: the stored one, or `candidate`, stored
        now, when there is none yet."""

    # JournalBackend
    def journal_append(self, entry: dict[str, Any], keep: int) -> int: ...
    def journal_entries(self, keep: int) -> list[dict[str, Any]]: ...
    def journal_clear(self) -> None: ...
    def journal_len(self, keep: int) -> int: ...

    def close(self) -> None:
        """Flush what is written and let go of the connection (graceful shutdown)."""


def encode_task(task: Task) -> str:
    """A task as stored: JSON without the fields the store counts itself (polls, finished_at)."""
    data = task.to_dict()
    del data["polls"], data["finished_at"]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_task(text: str, polls: int, finished_at: float | None) -> Task:
    return Task.from_dict(json.loads(text) | {"polls": polls, "finished_at": finished_at})
