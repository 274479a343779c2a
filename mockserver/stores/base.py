"""What a shared store keeps besides tasks: the random source's counters, the clock's state and the journal."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from mockserver.engine.task import Task

STORE_THREADS = 8
"""Threads per process that wait on a shared store, unless the `store_threads` setting says otherwise."""
DECODED_TASKS = 10_000
"""Tasks a process keeps decoded (the most recently read): a poll of one of them decodes nothing."""


class StoreError(ValueError):
    """A store that cannot be opened (bad URL, unreachable server, missing client library)."""


class SharedStore(Protocol):
    """A `TaskStore` that several processes can use at once, and that also holds the state beside tasks:
    the `Counters` of the random source, the `SharedClockState` of the clock, and the journal."""

    # TaskStore
    def add(self, task: Task) -> bool: ...
    def get(self, task_id: str, now: float) -> Task | None: ...
    def record_poll(self, task_id: str, provider: str) -> Task | None: ...
    def mark_finished(self, task_id: str, when: float) -> None: ...
    def scan(self, now: float) -> Iterator[Task]: ...
    def end(self, task: Task) -> bool: ...
    def remove(self, task_id: str) -> bool: ...
    def purge(self, now: float) -> int: ...
    def purge_due(self, now: float) -> bool: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...

    # AsyncTaskStore: a submit's and a poll's calls, awaited without holding up the event loop
    async def apoll_task(self, task_id: str, provider: str) -> Task | None: ...
    async def anext_number(self, family: str, count: int = 1) -> int: ...
    async def aadd(self, task: Task) -> bool: ...
    async def amark_finished(self, task_id: str, when: float) -> None: ...

    # Counters
    def next_number(self, family: str, count: int = 1) -> int: ...
    def reset_counters(self) -> None: ...

    # SharedClockState
    def load_clock(self) -> str | None: ...
    def swap_clock(self, expected: str | None, new: str) -> bool: ...

    # the media signing key
    def media_key(self, candidate: str) -> str:
        """The key every instance on this store signs result URLs with: the stored one, or `candidate`, stored
        now, when there is none yet."""

    # JournalBackend
    def journal_append(self, packed: bytes, keep: int) -> int: ...
    async def ajournal_append(self, packed: bytes, keep: int) -> int: ...
    def journal_entries(self, keep: int) -> list[tuple[int, bytes]]: ...
    def journal_clear(self) -> None: ...
    def journal_len(self, keep: int) -> int: ...

    async def offload(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function(*args)`, which waits on this store, in one of its threads (in the caller's context)."""

    def close(self) -> None:
        """Flush what is written and let go of the connection (graceful shutdown)."""


class StoreThreads:
    """The threads a shared store's calls wait in, so the event loop never waits on the store: a request hands
    its store calls over with `await threads.offload(function, *args)`, which runs them in the request's context
    (the clock it pinned)."""

    def __init__(self, count: int = STORE_THREADS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="jimeng-mock-store")

    async def offload(self, function: Callable[..., Any], *args: Any) -> Any:
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._pool, context.run, function, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class DecodedTasks:
    """The tasks read most recently, decoded, by id with the stored text they came from. A task's stored text
    never changes (its polls and finish time are kept beside it), so a read whose text is the one kept reuses the
    decoded task, and with it what the gateway derived from it (a finished task's answer), as the memory store
    does; a task stored anew under the same id (after a reset) has another text."""

    def __init__(self, size: int = DECODED_TASKS) -> None:
        self.size = size
        self._tasks: OrderedDict[str, tuple[str | bytes, Task]] = OrderedDict()
        self._lock = threading.Lock()

    def task(self, task_id: str, text: str | bytes, polls: int, finished_at: float | None) -> Task:
        """The task `task_id` stored as `text`, with its current counts."""
        with self._lock:
            known = self._tasks.get(task_id)
            if known is not None and known[0] == text:
                self._tasks.move_to_end(task_id)
                return _counted(known[1], polls, finished_at)
        decoded = decode_task(text, polls, finished_at)
        with self._lock:
            self._tasks[task_id] = (text, decoded)
            if len(self._tasks) > self.size:
                self._tasks.popitem(last=False)
        return _counted(decoded, polls, finished_at)

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()


def _counted(task: Task, polls: int, finished_at: float | None) -> Task:
    """A copy of a kept task with its current counts, sharing what the gateway derived from it."""
    if task.derived is None:
        task.derived = {}
    return Task(
        task.id,
        task.provider,
        task.created_at,
        task.expires_at,
        task.schedule,
        task.request,
        task.scenario,
        task.seed,
        polls,
        finished_at,
        task.status_lag,
        task.derived,
    )


def encode_task(task: Task) -> str:
    """A task as stored: JSON without the fields the store counts itself (polls, finished_at)."""
    data = task.to_dict()
    del data["polls"], data["finished_at"]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_task(text: str | bytes, polls: int, finished_at: float | None) -> Task:
    return Task.from_dict(json.loads(text) | {"polls": polls, "finished_at": finished_at})
