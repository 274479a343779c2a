"""Where tasks live. The engine talks to the `TaskStore` protocol; `MemoryStore` is the default.

A store drops a task once the clock passes its `expires_at` (the gateway's task lifetime), so the
mock's memory stays bounded however long it runs.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from mockserver.core.unavailable import StoreUnavailable
from mockserver.engine.task import Task


class TaskStore(Protocol):
    def add(self, task: Task) -> bool:
        """Store a new task; False (and nothing stored) when its id is taken."""

    def get(self, task_id: str, now: float) -> Task | None: ...

    def record_poll(self, task_id: str, provider: str) -> Task | None:
        """Count one poll of `provider`'s task, atomically, and return it (expired or not: the caller, which
        learns the time in the same round trip, decides); None when the store holds no such task of `provider`."""

    def mark_finished(self, task_id: str, when: float) -> None:
        """Remember when a task was first seen terminal (for steps the clock alone cannot date)."""

    def scan(self, now: float) -> Iterator[Task]:
        """Live tasks, oldest first."""

    def end(self, task: Task) -> bool:
        """Put `task`, ended (a new schedule, finished), in place of the live task of its id, in one step; False, and
        nothing changed, when that task is gone or has already finished."""

    def remove(self, task_id: str) -> bool:
        """Forget a task (a client deleted it); False when there was none."""

    def purge(self, now: float) -> int: ...

    def purge_due(self, now: float) -> bool:
        """Whether `purge(now)` may find a task to drop (False: it would do nothing)."""

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


@runtime_checkable
class AsyncTaskStore(Protocol):
    """What a store that waits on I/O (a shared one) offers for the calls on a submit's and a poll's path, so the
    event loop serves other requests while it waits."""

    async def apoll_task(self, task_id: str, provider: str) -> Task | None:
        """`record_poll`."""

    async def anext_number(self, family: str, count: int = 1) -> int:
        """The random source's shared counter (`Counters.next_number`)."""

    async def aadd(self, task: Task) -> bool: ...

    async def amark_finished(self, task_id: str, when: float) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}
        self._expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def add(self, task: Task) -> bool:
        with self._lock:
            if task.id in self._tasks:
                return False
            self._tasks[task.id] = task
            heapq.heappush(self._expiry, (task.expires_at, task.id))
            return True

    def get(self, task_id: str, now: float) -> Task | None:
        task = self._tasks.get(task_id)
        if task is None or task.expires_at <= now:
            return None
        return task

    def record_poll(self, task_id: str, provider: str) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.provider != provider:
                return None
            task.polls += 1
            return task

    def mark_finished(self, task_id: str, when: float) -> None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None and task.finished_at is None:
                task.finished_at = when

    def scan(self, now: float) -> Iterator[Task]:
        return (task for task in list(self._tasks.values()) if task.expires_at > now)

    def end(self, task: Task) -> bool:
        with self._lock:
            live = self._tasks.get(task.id)
            if live is None or live.finished_at is not None:
                return False
            task.polls = live.polls  # counted since it was read
            self._tasks[task.id] = task
            heapq.heappush(self._expiry, (task.expires_at, task.id))
            return True

    def remove(self, task_id: str) -> bool:
        with self._lock:
            return self._tasks.pop(task_id, None) is not None

    def purge(self, now: float) -> int:
        if not self.purge_due(now):  # nothing has expired yet
            return 0
        dropped = 0
        with self._lock:
            while self._expiry and self._expiry[0][0] <= now:
                _, task_id = heapq.heappop(self._expiry)
                task = self._tasks.get(task_id)
                if task is not None and task.expires_at <= now:
                    del self._tasks[task_id]
                    dropped += 1
        return dropped

    def purge_due(self, now: float) -> bool:
        return bool(self._expiry) and self._expiry[0][0] <= now

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._expiry.clear()

    def __len__(self) -> int:
        return len(self._tasks)


__all__ = ["AsyncTaskStore", "MemoryStore", "StoreUnavailable", "TaskStore"]
