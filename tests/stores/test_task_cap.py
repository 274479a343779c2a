"""The `max_tasks` cap in every store: the oldest finished tasks make room; with none finished, StoreFull."""

from __future__ import annotations

import itertools

import pytest

from mockserver.core.clock import MockClock
from mockserver.core.randomness import RandomSource
from mockserver.engine import Fixed, Outcome, StepPlan, StoreFull, Submission, TaskEngine, TaskStore
from tests.engine.lifecycles import FOUR_STATES

CAP = 200


def submission(counter: itertools.count[int], seconds: float) -> Submission:
    return Submission(
        provider="p",
        lifecycle=FOUR_STATES,
        plan=[StepPlan("queued", Fixed(1.0)), StepPlan("processing", Fixed(seconds), (1, 99))],
        outcome=Outcome("succeeded"),
        request={"prompt": "a cat"},
        new_id=lambda rng: f"t{next(counter)}",
        retention=86_400.0,
    )


def test_the_oldest_finished_tasks_make_room(store: TaskStore) -> None:
    clock = MockClock("virtual", start=1000.0)
    engine = TaskEngine(store, clock, RandomSource(1), max_tasks=CAP)
    counter = itertools.count()
    quick, slow = submission(counter, 10.0), submission(counter, 10_000.0)
    for _ in range(CAP // 2):
        engine.submit(quick)
    for _ in range(CAP // 2):
        engine.submit(slow)
    clock.advance(60.0)  # the quick half has finished, the slow half has not
    newest = engine.submit(slow)
    assert len(store) <= CAP
    ids = {view.task.id for view in engine.tasks()}
    assert "t0" not in ids, "the oldest finished task goes first"
    assert f"t{CAP - 1}" in ids and newest.task.id in ids, "unfinished tasks and the newest stay"
    assert all(f"t{n}" in ids for n in range(CAP // 2, CAP)), "no unfinished task is dropped"


def test_a_full_store_of_unfinished_tasks_refuses(store: TaskStore) -> None:
    clock = MockClock("virtual", start=1000.0)
    engine = TaskEngine(store, clock, RandomSource(1), max_tasks=CAP)
    counter = itertools.count()
    slow = submission(counter, 10_000.0)
    for _ in range(CAP):
        engine.submit(slow)
    with pytest.raises(StoreFull, match="max_tasks"):
        engine.submit(slow)
    assert len(store) == CAP
