from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pytest

from mockserver.core.clock import MockClock
from mockserver.core.randomness import RandomSource
from mockserver.core.streams import Draws
from mockserver.engine import (
    Fixed,
    LifecycleError,
    LogNormal,
    MemoryStore,
    Outcome,
    Polls,
    Schedule,
    StepPlan,
    Submission,
    TaskEngine,
    TaskView,
)
from tests.engine.lifecycles import FOUR_STATES

START = 1_000_000.0
LIFECYCLE = FOUR_STATES
TIMED_PLAN = [StepPlan("queued", Fixed(3.0), (0, 0)), StepPlan("processing", LogNormal(60.0, 0.4), (1, 99))]
POLLED_PLAN = [StepPlan("queued", Polls(1), (0, 0)), StepPlan("processing", Polls(2), (1, 99))]
SUCCESS = Outcome("succeeded")
FAILURE = Outcome("failed", error={"code": 400, "message": "refused"})


def random_id(rng: Draws) -> str:
    return f"{rng.getrandbits(64):016x}"


def submission(
    plan: list[StepPlan] = TIMED_PLAN,
    *,
    provider: str = "p",
    outcome: Outcome = SUCCESS,
    new_id: Callable[[Draws], str] = random_id,
    retention: float = 3600.0,
    **kwargs: Any,
) -> Submission:
    return Submission(
        provider=provider,
        lifecycle=LIFECYCLE,
        plan=plan,
        outcome=outcome,
        request={"prompt": "a cat"},
        new_id=new_id,
        retention=retention,
        **kwargs,
    )


def make_engine(seed: int = 0) -> TaskEngine:
    return TaskEngine(MemoryStore(), MockClock("virtual", start=START), RandomSource(seed))


def advance(engine: TaskEngine, seconds: float) -> None:
    assert isinstance(engine.clock, MockClock)
    engine.clock.advance(seconds)


def present(view: TaskView | None) -> TaskView:
    assert view is not None
    return view


def scripted_ids(values: Iterable[str]) -> tuple[list[str], Callable[[Draws], str]]:
    """An id factory that hands out `values` in order, and the list of ids it was asked for."""
    handed: list[str] = []
    it = iter(values)

    def new_id(rng: Draws) -> str:
        value = next(it)
        handed.append(value)
        return value

    return handed, new_id


def run_script(engine: TaskEngine) -> list[tuple[str, Schedule, int]]:
    views = [
        engine.submit(submission()),
        engine.submit(submission(POLLED_PLAN)),
        engine.submit(submission(provider="q")),
        engine.submit(submission(outcome=FAILURE, fail_at_progress=40)),
    ]
    return [(v.task.id, v.task.schedule, v.task.seed) for v in views]


def test_same_seed_and_submissions_give_identical_ids_and_schedules() -> None:
    first, second = run_script(make_engine(7)), run_script(make_engine(7))
    assert first == second
    assert len({task_id for task_id, _, _ in first}) == 4


def test_different_seed_gives_different_ids_and_schedules() -> None:
    first, second = run_script(make_engine(7)), run_script(make_engine(8))
    assert [t[0] for t in first] != [t[0] for t in second]
    assert all(a[0] != b[0] for a, b in zip(first, second, strict=True))
    assert first[0][1] != second[0][1]


def test_a_providers_draws_do_not_depend_on_other_providers() -> None:
    quiet, busy = make_engine(3), make_engine(3)
    quiet.submit(submission())
    busy.submit(submission())
    busy.submit(submission(provider="q"))
    busy.submit(submission(provider="q"))
    a, b = quiet.submit(submission()), busy.submit(submission())
    assert a.task.id == b.task.id
    assert a.task.schedule == b.task.schedule


def test_submit_records_the_task() -> None:
    engine = make_engine()
    view = engine.submit(submission(retention=600.0, scenario="slow"))
    task = view.task
    assert task.provider == "p"
    assert task.created_at == START
    assert task.expires_at == START + 600.0
    assert task.scenario == "slow"
    assert task.request == {"prompt": "a cat"}
    assert task.polls == 0
    assert task.finished_at is None
    assert 0 <= task.seed < 2**32
    assert view.now == START
    assert view.state == "queued"
    assert view.progress == 0
    assert view.terminal is False
    assert view.succeeded is False
    assert len(engine.store) == 1


def test_submit_draws_the_schedule() -> None:
    engine = make_engine()
    phases = engine.submit(submission()).task.schedule.phases
    assert [p.state for p in phases] == ["queued", "processing"]
    assert phases[0].until_seconds == 3.0
    assert phases[1].until_seconds is not None
    assert phases[1].until_seconds > 3.0


def test_settle_gives_the_plan_its_last_word_from_the_tasks_own_stream() -> None:
    seen: list[tuple[list[str], float]] = []

    def settle(plan: Sequence[StepPlan], rng: random.Random) -> list[StepPlan]:
        drawn = rng.random()
        seen.append(([step.state for step in plan], drawn))
        return [plan[0], StepPlan("processing", Fixed(round(100 * drawn, 3)), (1, 99))]

    engine = make_engine(5)
    view = engine.submit(submission(settle=settle))
    ((states, drawn),) = seen
    assert states == ["queued", "processing"]
    assert [p.until_seconds for p in view.task.schedule.phases] == [3.0, round(3.0 + round(100 * drawn, 3), 3)]
    assert engine.randomness._counters.keys() == {"task:p"}  # one stream seeded for the submit
    again = make_engine(5).submit(submission(settle=settle))
    assert (again.task.id, again.task.schedule) == (view.task.id, view.task.schedule)
    assert seen[1][1] == drawn


def test_submit_with_a_forbidden_plan_raises_and_stores_nothing() -> None:
    engine = make_engine()
    with pytest.raises(LifecycleError):
        engine.submit(submission([StepPlan("processing", Fixed(1.0)), StepPlan("queued", Fixed(1.0))]))
    assert len(engine.store) == 0


def test_poll_counts_polls_and_peek_does_not() -> None:
    engine = make_engine()
    task_id = engine.submit(submission()).task.id
    first = engine.poll("p", task_id)
    assert first is not None
    assert first.task.polls == 1
    second = engine.poll("p", task_id)
    assert second is not None
    assert second.task.polls == 2
    peeked = engine.peek(task_id)
    assert peeked is not None
    assert peeked.task.polls == 2
    assert engine.peek(task_id, provider="p") is not None
    assert present(engine.poll("p", task_id)).task.polls == 3


def test_poll_keyed_steps_advance_with_polls_only() -> None:
    engine = make_engine()
    task_id = engine.submit(submission(POLLED_PLAN)).task.id
    assert present(engine.peek(task_id)).state == "queued"
    states = [present(engine.poll("p", task_id)).state for _ in range(4)]
    assert states == ["queued", "processing", "processing", "succeeded"]
    assert present(engine.peek(task_id)).state == "succeeded"


def test_poll_with_the_wrong_provider_returns_none() -> None:
    engine = make_engine()
    task_id = engine.submit(submission(provider="p")).task.id
    assert engine.poll("q", task_id) is None
    assert engine.peek(task_id, provider="q") is None
    assert engine.peek(task_id, provider="p") is not None


def test_poll_and_peek_unknown_id() -> None:
    engine = make_engine()
    engine.submit(submission())
    assert engine.poll("p", "nope") is None
    assert engine.peek("nope") is None


def test_expired_task_reads_as_none() -> None:
    engine = make_engine()
    task_id = engine.submit(submission(retention=100.0)).task.id
    advance(engine, 99.0)
    assert engine.peek(task_id) is not None
    advance(engine, 1.0)
    assert engine.peek(task_id) is None
    assert engine.poll("p", task_id) is None
    assert list(engine.tasks()) == []


def test_colliding_id_factory_still_yields_unique_ids() -> None:
    handed, new_id = scripted_ids(["a", "a", "a", "b", "c"])
    engine = make_engine()
    first = engine.submit(submission(new_id=new_id))
    second = engine.submit(submission(new_id=new_id))
    third = engine.submit(submission(new_id=new_id))
    assert [first.task.id, second.task.id, third.task.id] == ["a", "b", "c"]
    assert handed == ["a", "a", "a", "b", "c"]
    assert len(engine.store) == 3
    assert present(engine.peek("a")).task is first.task


def test_finished_at_is_the_scheduled_end_for_time_based_schedules() -> None:
    engine = make_engine()
    view = engine.submit(submission())
    task_id, end = view.task.id, view.task.schedule.phases[-1].until_seconds
    assert end is not None
    advance(engine, end - 0.01)
    running = engine.peek(task_id)
    assert running is not None
    assert running.terminal is False
    assert running.finished_at is None
    advance(engine, 500.0)
    done = engine.poll("p", task_id)
    assert done is not None
    assert done.terminal is True
    assert done.succeeded is True
    assert done.progress == 100
    assert done.finished_at == START + end
    advance(engine, 500.0)
    assert present(engine.peek(task_id)).finished_at == START + end
    stored = engine.store.get(task_id, engine.clock.now())
    assert stored is not None
    assert stored.finished_at == START + end


def test_finished_at_is_the_first_terminal_read_for_poll_keyed_schedules() -> None:
    engine = make_engine()
    task_id = engine.submit(submission(POLLED_PLAN)).task.id
    for _ in range(3):
        advance(engine, 10.0)
        assert present(engine.poll("p", task_id)).finished_at is None
    advance(engine, 10.0)
    done = engine.poll("p", task_id)
    assert done is not None
    assert done.terminal is True
    assert done.finished_at == START + 40.0
    advance(engine, 10.0)
    assert present(engine.poll("p", task_id)).finished_at == START + 40.0


def test_failed_task_view() -> None:
    engine = make_engine()
    view = engine.submit(submission([StepPlan("queued", Fixed(5.0), (0, 0))], outcome=FAILURE))
    advance(engine, 5.0)
    done = engine.peek(view.task.id)
    assert done is not None
    assert (done.state, done.progress, done.terminal, done.succeeded) == ("failed", 0, True, False)
    assert done.finished_at == START + 5.0


def test_tasks_lists_live_tasks_by_provider() -> None:
    engine = make_engine()
    p1 = engine.submit(submission(provider="p")).task.id
    q1 = engine.submit(submission(provider="q")).task.id
    p2 = engine.submit(submission(provider="p", retention=10.0)).task.id
    assert [v.task.id for v in engine.tasks()] == [p1, q1, p2]
    assert [v.task.id for v in engine.tasks("p")] == [p1, p2]
    assert [v.task.id for v in engine.tasks("q")] == [q1]
    advance(engine, 10.0)
    assert [v.task.id for v in engine.tasks("p")] == [p1]


def test_tasks_does_not_count_polls() -> None:
    engine = make_engine()
    engine.submit(submission())
    assert [v.task.polls for v in engine.tasks()] == [0]
    assert [v.task.polls for v in engine.tasks()] == [0]


def test_reset_empties_the_store_and_restarts_the_draws() -> None:
    engine = make_engine(5)
    first = engine.submit(submission())
    engine.submit(submission())
    engine.reset()
    assert len(engine.store) == 0
    assert engine.peek(first.task.id) is None
    again = engine.submit(submission())
    assert again.task.id == first.task.id
    assert again.task.schedule == first.task.schedule
    assert again.task.seed == first.task.seed


def test_delete_forgets_the_task_of_its_own_provider_only() -> None:
    engine = make_engine()
    task_id = engine.submit(submission(provider="p")).task.id
    assert engine.delete("q", task_id) is False
    assert engine.peek(task_id) is not None
    assert engine.delete("p", task_id) is True
    assert engine.peek(task_id) is None
    assert engine.poll("p", task_id) is None
    assert engine.delete("p", task_id) is False


def test_delete_of_an_expired_task_reports_nothing_deleted() -> None:
    engine = make_engine()
    task_id = engine.submit(submission(retention=10.0)).task.id
    advance(engine, 10.0)
    assert engine.delete("p", task_id) is False
    assert engine.store.purge(engine.clock.now()) == 1
