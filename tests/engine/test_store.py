from __future__ import annotations

import itertools

import pytest

from mockserver.core.clock import MockClock
from mockserver.core.randomness import RandomSource
from mockserver.engine import Fixed, MemoryStore, Outcome, StepPlan, Submission, TaskEngine
from mockserver.engine.lifecycle import Phase, Schedule
from mockserver.engine.task import Task
from tests.engine.lifecycles import FOUR_STATES

SCHEDULE = Schedule((Phase("queued", (0, 0), until_seconds=10.0),), Outcome("succeeded"))


def task(task_id: str, created_at: float = 0.0, expires_at: float = 100.0, provider: str = "p") -> Task:
    return Task(
        id=task_id,
        provider=provider,
        created_at=created_at,
        expires_at=expires_at,
        schedule=SCHEDULE,
        request={"prompt": task_id},
    )


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def test_new_store_is_empty(store: MemoryStore) -> None:
    assert len(store) == 0
    assert store.get("a", 0.0) is None
    assert list(store.scan(0.0)) == []


def test_add_and_get(store: MemoryStore) -> None:
    stored = task("a")
    assert store.add(stored) is True
    assert len(store) == 1
    assert store.get("a", 50.0) is stored
    assert store.get("b", 50.0) is None


def test_add_duplicate_id_is_refused_and_keeps_the_first(store: MemoryStore) -> None:
    first = task("a", expires_at=100.0)
    second = task("a", expires_at=500.0)
    assert store.add(first) is True
    assert store.add(second) is False
    assert len(store) == 1
    assert store.get("a", 0.0) is first
    # the refused task left no trace: the id still expires with the first task
    assert store.purge(100.0) == 1
    assert len(store) == 0


def test_get_returns_none_once_expired_even_before_purge(store: MemoryStore) -> None:
    store.add(task("a", expires_at=100.0))
    assert store.get("a", 99.999) is not None
    assert store.get("a", 100.0) is None
    assert store.get("a", 101.0) is None
    assert len(store) == 1  # not dropped, only hidden


def test_record_poll_counts_and_returns_the_task(store: MemoryStore) -> None:
    stored = task("a")
    store.add(stored)
    assert store.record_poll("a", stored.provider) is stored
    assert store.record_poll("a", stored.provider) is stored
    assert stored.polls == 2


def test_record_poll_of_an_unknown_task_or_another_gateways(store: MemoryStore) -> None:
    stored = task("a", expires_at=100.0)
    store.add(stored)
    assert store.record_poll("missing", stored.provider) is None
    assert store.record_poll("a", stored.provider + "-other") is None
    assert stored.polls == 0


def test_mark_finished_first_value_wins(store: MemoryStore) -> None:
    stored = task("a")
    store.add(stored)
    store.mark_finished("a", 12.5)
    store.mark_finished("a", 20.0)
    store.mark_finished("a", 1.0)
    assert stored.finished_at == 12.5


def test_mark_finished_unknown_id_is_ignored(store: MemoryStore) -> None:
    stored = task("a")
    store.add(stored)
    store.mark_finished("missing", 3.0)
    assert stored.finished_at is None
    assert len(store) == 1


def test_scan_returns_live_tasks_oldest_first(store: MemoryStore) -> None:
    for name, created, expires in [("a", 0.0, 50.0), ("b", 1.0, 200.0), ("c", 2.0, 100.0), ("d", 3.0, 300.0)]:
        store.add(task(name, created, expires))
    assert [t.id for t in store.scan(0.0)] == ["a", "b", "c", "d"]
    assert [t.id for t in store.scan(50.0)] == ["b", "c", "d"]
    assert [t.id for t in store.scan(150.0)] == ["b", "d"]
    assert list(store.scan(300.0)) == []


def test_scan_tolerates_adds_while_iterating(store: MemoryStore) -> None:
    store.add(task("a"))
    seen = []
    for item in store.scan(0.0):
        seen.append(item.id)
        store.add(task(item.id + "+"))
    assert seen == ["a"]
    assert len(store) == 2


def test_purge_drops_exactly_the_expired_ones(store: MemoryStore) -> None:
    for name, expires in [("a", 30.0), ("b", 10.0), ("c", 20.0), ("d", 40.0), ("e", 20.0)]:
        store.add(task(name, expires_at=expires))
    assert store.purge(9.999) == 0
    assert store.purge(20.0) == 3
    assert len(store) == 2
    assert sorted(t.id for t in store.scan(0.0)) == ["a", "d"]
    assert store.get("a", 0.0) is not None
    assert store.purge(20.0) == 0
    assert store.purge(1e9) == 2
    assert len(store) == 0


def test_purge_returns_zero_on_an_empty_store(store: MemoryStore) -> None:
    assert store.purge(1e12) == 0


def test_clear_drops_everything(store: MemoryStore) -> None:
    store.add(task("a"))
    store.add(task("b", expires_at=10.0))
    store.clear()
    assert len(store) == 0
    assert store.get("a", 0.0) is None
    assert store.purge(1e9) == 0
    assert store.add(task("a")) is True
    assert len(store) == 1


def test_len_counts_expired_until_purged(store: MemoryStore) -> None:
    store.add(task("a", expires_at=1.0))
    store.add(task("b", expires_at=100.0))
    assert len(store) == 2
    store.purge(50.0)
    assert len(store) == 1


LIFECYCLE = FOUR_STATES


def test_memory_stays_bounded_by_retention() -> None:
    clock = MockClock("virtual", start=1000.0)
    engine = TaskEngine(MemoryStore(), clock, RandomSource(1))
    counter = itertools.count()
    submission = Submission(
        provider="p",
        lifecycle=LIFECYCLE,
        plan=[StepPlan("queued", Fixed(1.0)), StepPlan("processing", Fixed(2.0), (1, 99))],
        outcome=Outcome("succeeded"),
        request={},
        new_id=lambda rng: f"t{next(counter)}",
        retention=60.0,
    )
    for _ in range(200):
        engine.submit(submission)
    assert len(engine.store) == 200
    clock.advance(60.0)
    last = engine.submit(submission)
    assert len(engine.store) == 1
    assert [view.task.id for view in engine.tasks()] == [last.task.id]


def test_remove_forgets_a_task_and_purge_skips_it(store: MemoryStore) -> None:
    store.add(task("a", expires_at=100.0))
    assert store.remove("a") is True
    assert store.remove("a") is False
    assert store.get("a", 0.0) is None
    assert len(store) == 0
    assert store.purge(100.0) == 0
