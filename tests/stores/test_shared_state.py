"""What SQLite and Redis keep beside tasks, seen from two connections (two processes, as far as the store can
tell): the random source's counters, the clock and the journal; and task ids unique across instances."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mockserver.core.clock import DEFAULT_VIRTUAL_START, ClockError, ClockState, MockClock
from mockserver.core.randomness import RandomSource, draw_between
from mockserver.engine import Fixed, Outcome, StepPlan, Submission, TaskEngine
from mockserver.server.journal import Exchange, Journal
from mockserver.stores import SharedStore, StoreError, open_store
from tests.engine.lifecycles import FOUR_STATES

Pair = tuple[SharedStore, SharedStore]


def test_counters_are_one_sequence_for_every_connection(pair: Pair) -> None:
    first, second = pair
    assert [first.next_number("task:p"), second.next_number("task:p"), first.next_number("task:p")] == [1, 2, 3]
    assert second.next_number("other") == 1
    first.reset_counters()
    assert second.next_number("task:p") == 1


def test_concurrent_counting_never_repeats_a_number(pair: Pair) -> None:
    drawn: list[int] = []

    def count(store: SharedStore) -> None:
        drawn.extend(store.next_number("family") for _ in range(50))

    threads = [threading.Thread(target=count, args=(store,)) for store in (*pair, *pair)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(drawn) == list(range(1, 201))


def test_random_streams_are_numbered_across_instances_but_local_numbers_are_not(pair: Pair) -> None:
    first, second = (RandomSource(7, store) for store in pair)
    assert [first.next_stream("task:p")[0], second.next_stream("task:p")[0]] == [1, 2]
    assert [first.local_number("keys"), second.local_number("keys")] == [1, 1]


def test_advancing_the_clock_on_one_instance_advances_it_for_all(pair: Pair) -> None:
    first, second = (MockClock("virtual", shared=store) for store in pair)
    assert first.advance(30.0) == DEFAULT_VIRTUAL_START + 30
    assert second.now() == DEFAULT_VIRTUAL_START + 30
    second.set(DEFAULT_VIRTUAL_START + 100)
    assert first.now() == DEFAULT_VIRTUAL_START + 100
    with pytest.raises(ClockError):
        first.set(DEFAULT_VIRTUAL_START)
    assert second.describe() == {"now": DEFAULT_VIRTUAL_START + 100, "mode": "virtual", "scale": 0.0}


def test_the_first_instance_sets_the_clock_and_later_ones_join_it(pair: Pair) -> None:
    first = MockClock("virtual", start=1000.0, shared=pair[0])
    first.advance(5.0)
    second = MockClock("virtual", start=9999.0, shared=pair[1])  # a restart or a late worker keeps the shared state
    assert second.now() == 1005.0
    second.reset()
    assert first.now() == 9999.0  # reset puts back the clock of the instance that asked for it


def test_run_and_freeze_are_shared(pair: Pair) -> None:
    first, second = (MockClock("virtual", start=1000.0, shared=store) for store in pair)
    first.run(0.5)
    assert second.mode == "scaled" and second.scale == 0.5
    assert second.now() >= 1000.0
    frozen = second.freeze()
    assert first.mode == "virtual"
    assert first.now() == frozen


def test_concurrent_advances_all_count(pair: Pair) -> None:
    clocks = [MockClock("virtual", start=0.0, shared=store) for store in (*pair, *pair)]

    def advance(clock: MockClock) -> None:
        for _ in range(20):
            clock.advance(1.0)

    threads = [threading.Thread(target=advance, args=(clock,)) for clock in clocks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clocks[0].now() == 80.0


def test_a_pinned_clock_reads_the_store_once_per_request(pair: Pair) -> None:
    first, second = (MockClock("virtual", start=0.0, shared=store) for store in pair)
    with first.pinned():
        second.advance(10.0)
        assert first.now() == 10.0  # read when the request first needs the time
        second.advance(5.0)
        assert first.now() == 10.0  # and kept for the rest of the request
        assert first.advance(1.0) == 16.0  # a change reads the store again, then pins the result
        assert first.now() == 16.0
    assert first.now() == 16.0


def test_a_store_command_brings_the_clock_along(pair: Pair) -> None:
    """A request's first store command pins the clock it read in the same round trip, so the request reads no
    clock of its own."""
    first, second = pair
    clock = MockClock("virtual", start=0.0, shared=first)
    number = first.next_number("family")
    with clock.pinned():
        MockClock("virtual", start=0.0, shared=second).advance(10.0)
        assert first.next_number("family") == number + 1
        second.swap_clock(second.load_clock(), ClockState("virtual", 99.0).encode())
        assert clock.now() == 10.0  # the state read with the command, not the one stored since


def test_the_journal_is_shared_bounded_and_numbered(pair: Pair) -> None:
    first, second = (Journal(size=3, backend=store) for store in pair)
    for number in range(5):
        journal = first if number % 2 else second
        journal.add(Exchange(1.0, "p", "GET", f"/call/{number}", b"", [], b"", 200, [], b"{}", worker=1))
    entries = first.entries()
    assert [e.path for e in entries] == ["/call/2", "/call/3", "/call/4"]
    assert [e.seq for e in entries] == [3, 4, 5]
    assert len(second) == 3
    assert [e.path for e in second.entries(path="/call/3")] == ["/call/3"]
    second.clear()
    assert first.entries() == [] and len(first) == 0


def submission() -> Submission:
    return Submission(
        provider="p",
        lifecycle=FOUR_STATES,
        plan=[StepPlan("queued", Fixed(2.0)), StepPlan("processing", Fixed(3.0), (0, 99))],
        outcome=Outcome("succeeded"),
        request={"prompt": "a cat"},
        new_id=lambda rng: f"task-{draw_between(rng, 0, 3)}",
        retention=3600.0,
    )


def test_instances_that_draw_the_same_id_get_different_tasks(pair: Pair) -> None:
    """Even with counters of their own (the same streams), two instances never share an id: the store refuses
    the second and the engine draws again."""
    clock = MockClock("virtual")
    first, second = (TaskEngine(store, clock, RandomSource(0)) for store in pair)
    ids = [first.submit(submission()).task.id, second.submit(submission()).task.id]
    assert len(set(ids)) == 2
    assert {view.task.id for view in first.tasks()} == set(ids)


def test_a_poll_on_one_instance_is_counted_for_all(pair: Pair) -> None:
    clock = MockClock("virtual")
    first, second = (TaskEngine(store, clock, RandomSource(0, store)) for store in pair)
    task_id = first.submit(submission()).task.id
    assert second.poll("p", task_id).task.polls == 1  # type: ignore[union-attr]
    assert first.poll("p", task_id).task.polls == 2  # type: ignore[union-attr]
    clock.advance(5.0)
    view = second.peek(task_id)
    assert view is not None and view.state == "succeeded" and view.finished_at == DEFAULT_VIRTUAL_START + 5
    assert first.peek(task_id).finished_at == DEFAULT_VIRTUAL_START + 5  # type: ignore[union-attr]


def test_sqlite_keeps_everything_after_the_connection_is_gone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mock.db'}"
    store = open_store(url)
    assert store is not None
    clock = MockClock("virtual", shared=store)
    engine = TaskEngine(store, clock, RandomSource(0, store))
    task_id = engine.submit(submission()).task.id
    clock.advance(2.0)
    store.close()
    again = open_store(url)
    assert again is not None
    assert MockClock("virtual", shared=again).now() == DEFAULT_VIRTUAL_START + 2
    assert again.get(task_id, 0.0) is not None
    assert again.next_number("task:p") == 2


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://db", "unknown store"),
        ("sqlite:///", "unknown store"),
        ("redis://127.0.0.1:1/0", "cannot reach the Redis store"),
    ],
)
def test_a_store_that_cannot_be_opened_says_why(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        open_store(url)


def test_an_unwritable_sqlite_path_says_why(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the SQLite store"):
        open_store(f"sqlite:///{tmp_path / 'missing' / 'mock.db'}")
