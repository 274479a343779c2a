"""The calls a submit and a poll await on a shared store (Redis pipelined on one connection, SQLite batched in one
thread), many in flight at once from two instances, as a loaded server makes them: every poll counted once, every
id unique, the clock read with the first command, event numbers unique across instances."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, TypeVar

import pytest

from mockserver.core.clock import ClockState, MockClock
from mockserver.core.randomness import EVENT_LEASE, RandomSource, draw_between
from mockserver.engine import StoreUnavailable, Submission, TaskEngine
from mockserver.server.journal import Exchange, Journal, JournalEntry
from mockserver.stores import SharedStore
from mockserver.stores.worker import StoreWorker
from tests.stores.test_shared_state import submission as narrow_submission

Pair = tuple[SharedStore, SharedStore]
T = TypeVar("T")


def submission() -> Submission:
    """A task of provider `p` with ids drawn from a billion."""
    return replace(narrow_submission(), new_id=lambda rng: f"task-{draw_between(rng, 0, 10**9)}")


def run(pair: Pair, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on a new event loop, then close the stores on it (the connection a store opened for that
    loop is closed with it, as a server's lifespan closes it)."""

    async def closing() -> T:
        try:
            return await coroutine
        finally:
            for store in pair:
                store.close()

    return asyncio.run(closing())


def engines(pair: Pair, clock: MockClock) -> list[TaskEngine]:
    return [TaskEngine(store, clock, RandomSource(0, store), offload=store.offload) for store in pair]


def test_concurrent_awaited_submits_and_polls_from_two_instances_all_count(pair: Pair) -> None:
    clock = MockClock("virtual")
    first, second = engines(pair, clock)

    async def load() -> tuple[list[str], list[int], int]:
        views = await asyncio.gather(*(engine.asubmit(submission()) for engine in (first, second) * 20))
        ids = [view.task.id for view in views]
        polled = await asyncio.gather(*(engine.apoll("p", ids[0]) for engine in (first, second) * 50))
        peeked = await second.apeek(ids[0])
        assert peeked is not None
        return ids, [view.task.polls for view in polled if view is not None], peeked.task.polls

    ids, polls, stored = run(pair, load())
    assert len(set(ids)) == 40
    assert sorted(polls) == list(range(1, 101)) and stored == 100


def test_an_awaited_poll_of_another_gateways_task_or_an_expired_one_finds_nothing(pair: Pair) -> None:
    clock = MockClock("virtual")
    first, second = engines(pair, clock)

    async def polls() -> list[Any]:
        task_id = (await first.asubmit(submission())).task.id
        counted = await second.apoll("p", task_id)
        seen = [await second.apoll("other", task_id), None if counted is None else counted.task.polls]
        clock.advance(3601.0)
        return [*seen, await first.apoll("p", task_id)]

    assert run(pair, polls()) == [None, 1, None]


def test_the_first_awaited_command_of_a_request_brings_the_clock(pair: Pair) -> None:
    first, second = pair
    clock = MockClock("virtual", start=0.0, shared=first)
    engine = TaskEngine(first, clock, RandomSource(0, first), offload=first.offload)

    async def request() -> float:
        with clock.pinned():
            MockClock("virtual", start=0.0, shared=second).advance(10.0)
            view = await engine.asubmit(submission())
            second.swap_clock(second.load_clock(), ClockState("virtual", 99.0).encode())
            assert clock.now() == view.now
            return view.now

    assert run(pair, request()) == 10.0


def test_event_numbers_are_unique_across_instances_and_consecutive_within_one(pair: Pair) -> None:
    first, second = (RandomSource(7, store) for store in pair)
    mine = [first.event_number("p:request-id") for _ in range(EVENT_LEASE + 5)]
    theirs = [second.event_number("p:request-id") for _ in range(5)]
    assert mine == list(range(1, EVENT_LEASE + 6))
    assert theirs == list(range(2 * EVENT_LEASE + 1, 2 * EVENT_LEASE + 6))


def test_concurrent_event_numbers_never_repeat(pair: Pair) -> None:
    sources = [RandomSource(7, store) for store in (*pair, *pair)]
    drawn: list[int] = []

    def count(source: RandomSource) -> None:
        drawn.extend(source.event_number("family") for _ in range(3 * EVENT_LEASE))

    threads = [threading.Thread(target=count, args=(source,)) for source in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(drawn)) == len(drawn) == 12 * EVENT_LEASE


class CountingCounters:
    """A store's counters, with how often a lease was taken by a blocking call and by an awaited one."""

    def __init__(self, store: SharedStore) -> None:
        self.store = store
        self.blocking = 0
        self.awaited = 0

    def next_number(self, family: str, count: int = 1) -> int:
        self.blocking += 1
        return self.store.next_number(family, count)

    async def anext_number(self, family: str, count: int = 1) -> int:
        self.awaited += 1
        return await self.store.anext_number(family, count)

    def reset_counters(self) -> None:
        self.store.reset_counters()


def test_on_an_event_loop_the_next_lease_is_taken_ahead_without_blocking(pair: Pair) -> None:
    """Only the first lease is taken by a blocking call (it would hold up the event loop while another worker
    writes); each later one is awaited once half the current one is handed out, and is ready when needed."""
    mine, theirs = CountingCounters(pair[0]), CountingCounters(pair[1])
    first, second = RandomSource(7, mine), RandomSource(7, theirs)

    async def serve() -> tuple[list[int], list[int]]:
        drawn: list[int] = []
        other: list[int] = []
        for _ in range(3 * EVENT_LEASE):
            drawn.append(first.event_number("p:request-id"))
            other.append(second.event_number("p:request-id"))
            await asyncio.sleep(0.001)  # the next request, a moment later: the lease taken ahead arrives meanwhile
        return drawn, other

    drawn, other = run(pair, serve())
    assert mine.blocking == theirs.blocking == 1
    assert mine.awaited == theirs.awaited == 3  # halfway through each of the three leases
    assert len(set(drawn + other)) == 6 * EVENT_LEASE
    for numbers in (drawn, other):
        leases = [numbers[start : start + EVENT_LEASE] for start in range(0, len(numbers), EVENT_LEASE)]
        assert all(lease == list(range(lease[0], lease[0] + EVENT_LEASE)) for lease in leases)


@pytest.mark.parametrize("taken_before_the_reset", [True, False])
def test_a_lease_taken_ahead_before_a_reset_is_not_used_after_it(pair: Pair, taken_before_the_reset: bool) -> None:
    """Whether the lease asked for ahead was taken before the reset (numbers 101 to 200) or not yet (the reset came
    in the same turn of the loop), numbering after the reset starts again at 1, as a seeded run's does."""
    source = RandomSource(7, pair[0])

    async def serve() -> list[int]:
        before = [source.event_number("family") for _ in range(EVENT_LEASE // 2 + 1)]  # the next lease is asked for
        if taken_before_the_reset:
            await asyncio.sleep(0.05)
        source.reset()
        await asyncio.sleep(0.05)
        return before + [source.event_number("family") for _ in range(3)]

    numbers = run(pair, serve())
    assert numbers[-3:] == [1, 2, 3]
    assert numbers[: EVENT_LEASE // 2 + 1] == list(range(1, EVENT_LEASE // 2 + 2))


def test_awaited_journal_entries_from_two_instances_are_all_kept_in_order(pair: Pair) -> None:
    first, second = (Journal(100, store) for store in pair)

    async def record() -> list[JournalEntry]:
        await asyncio.gather(
            *(
                (first if n % 2 else second).aadd(
                    Exchange(1.0, "p", "GET", f"/call/{n}", b"", [], b"", 200, [], b"{}", worker=1)
                )
                for n in range(60)
            )
        )
        return first.entries()

    entries = run(pair, record())
    assert sorted(int(e.path.rsplit("/", 1)[1]) for e in entries) == list(range(60))
    assert [e.seq for e in entries] == list(range(1, 61))


class _Batches:
    def __init__(self, fail: bool = False) -> None:
        self.opened = 0
        self.fail = fail

    def __call__(self) -> Any:
        batches = self

        class Batch:
            def __enter__(self) -> None:
                batches.opened += 1

            def __exit__(self, *exc: object) -> None:
                if batches.fail:
                    raise RuntimeError("disk full")

        return Batch()


def test_the_worker_runs_the_calls_waiting_together_in_one_batch_and_a_failed_call_fails_alone() -> None:
    batches = _Batches()
    worker = StoreWorker(batches, name="test-worker")
    gate = threading.Event()

    def failing() -> None:
        raise ValueError("this call only")

    async def calls() -> list[Any]:
        blocker = asyncio.ensure_future(worker.run(gate.wait))
        await asyncio.sleep(0.05)  # the worker is busy with the first batch
        waiting = [asyncio.ensure_future(worker.run(lambda n=n: n * 2)) for n in range(10)]
        failed = asyncio.ensure_future(worker.run(failing))
        await asyncio.sleep(0.05)
        gate.set()
        await blocker
        with pytest.raises(ValueError, match="this call only"):
            await failed
        return list(await asyncio.gather(*waiting))

    assert asyncio.run(calls()) == [n * 2 for n in range(10)]
    assert batches.opened == 2
    worker.close()


def test_a_batch_that_cannot_commit_fails_each_of_its_calls_as_a_store_failure() -> None:
    worker = StoreWorker(_Batches(fail=True), name="test-worker")

    async def call() -> None:
        with pytest.raises(StoreUnavailable, match="disk full"):
            await worker.run(lambda: 1)

    asyncio.run(call())
    worker.close()


def test_media_and_admin_requests_read_the_shared_clock_off_the_event_loop(pair: Pair) -> None:
    """They read the time before any store command: the pin middleware reads it first, through the offload; a
    gateway's request leaves it to its first store command."""
    from mockserver.server.app import ClockPinMiddleware

    first, second = pair
    clock = MockClock("virtual", start=0.0, shared=first)
    offloaded: list[str] = []
    seen: list[float] = []

    async def offload(function: Any, *args: Any) -> Any:
        offloaded.append(getattr(function, "__name__", ""))
        return function(*args)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        MockClock("virtual", start=0.0, shared=second).advance(5.0)  # after the read: not seen by this request
        seen.append(clock.now())

    middleware = ClockPinMiddleware(app, clock, offload=offload, read_first=("/__media/", "/__admin"))

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        return None

    async def requests() -> None:
        for path in ("/__media/x.mp4", "/__admin/clock", "/crazyrouter/jimeng/fetch/1"):
            await middleware({"type": "http", "path": path}, receive, send)

    run(pair, requests())
    assert offloaded == ["now", "now"]
    assert seen == [0.0, 5.0, 15.0]  # the gateway's request read the clock when it first needed it
