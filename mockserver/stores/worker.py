"""One thread that runs a store's calls in batches: every call handed over while it was busy with the previous batch
runs in the next one, inside one `batch()` (SQLite: one transaction, so one write lock and one commit for all of
them), and the requests waiting for them are woken together. The event loop never waits on the store."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from mockserver.engine.store import StoreUnavailable

_Call = tuple[Callable[..., Any], tuple[Any, ...], contextvars.Context, asyncio.Future[Any]]
_Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]


class StoreWorker:
    def __init__(self, batch: Callable[[], AbstractContextManager[Any]], name: str) -> None:
        self._batch = batch
        self._calls: deque[_Call] = deque()
        self._wake = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in the worker's thread, in the caller's context (the clock its request pinned)."""
        future = asyncio.get_running_loop().create_future()
        with self._wake:
            if self._closing:
                raise StoreUnavailable("the store is closed")
            self._calls.append((function, args, contextvars.copy_context(), future))
            self._wake.notify()
        return await future

    def _serve(self) -> None:
        while True:
            with self._wake:
                while not self._calls and not self._closing:
                    self._wake.wait()
                if not self._calls:
                    return
                calls = list(self._calls)
                self._calls.clear()
            self._deliver(self._run_batch(calls))

    def _run_batch(self, calls: list[_Call]) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        try:
            with self._batch():
                for function, args, context, future in calls:
                    try:
                        outcomes.append((future, context.run(function, *args), None))
                    except Exception as exc:  # that call's own failure: the others of the batch still commit
                        outcomes.append((future, None, exc))
        except Exception as exc:  # the batch could not commit: none of it was written
            failure = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable(f"the store failed: {exc}")
            return [(future, None, failure) for *_, future in calls]
        return outcomes

    @staticmethod
    def _deliver(outcomes: list[_Outcome]) -> None:
        """Wake the waiting requests, one callback per event loop for the whole batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
        for loop, mine in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, mine)

    def close(self) -> None:
        """Finish the calls handed over, then stop."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join()


def _settle(outcomes: list[_Outcome]) -> None:
    for future, result, failure in outcomes:
        if future.done():
            continue  # its request was cancelled (the client went away)
        if failure is None:
            future.set_result(result)
        else:
            future.set_exception(failure)
