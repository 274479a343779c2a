from __future__ import annotations

import random
from itertools import accumulate, pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.engine.lifecycle import (
    Lifecycle,
    LifecycleError,
    Outcome,
    Phase,
    Schedule,
    Status,
    StepPlan,
    current_phase,
    draw_schedule,
    evaluate,
    with_timings,
)
from mockserver.engine.timing import Fixed, Forever, LogNormal, Polls, Timing, Uniform
from tests.engine.lifecycles import four_state_spec

ERROR = {"code": 400, "message": "upstream refused the prompt"}


def spec(**changes: Any) -> dict[str, Any]:
    return four_state_spec(**changes)


LIFECYCLE = Lifecycle.from_contract(spec())
SUCCESS = Outcome("succeeded")
FAILURE = Outcome("failed", error=ERROR)


def draw(plan: list[StepPlan], outcome: Outcome = SUCCESS, seed: int = 0, **kwargs: Any) -> Schedule:
    return draw_schedule(LIFECYCLE, plan, outcome, random.Random(seed), **kwargs)


# Lifecycle.from_contract


def test_from_contract_reads_every_field() -> None:
    assert LIFECYCLE.states == ("queued", "processing", "succeeded", "failed")
    assert LIFECYCLE.initial == "queued"
    assert LIFECYCLE.success == "succeeded"
    assert LIFECYCLE.failure == "failed"
    assert LIFECYCLE.terminal == frozenset({"succeeded", "failed"})
    assert dict(LIFECYCLE.transitions) == {
        "queued": frozenset({"processing", "failed"}),
        "processing": frozenset({"succeeded", "failed"}),
    }


def test_from_contract_ignores_extra_keys() -> None:
    lifecycle = Lifecycle.from_contract(spec(**{"x-source": "documented", "status-field": "data.status"}))
    assert lifecycle == LIFECYCLE


@pytest.mark.parametrize(
    ("changes", "unknown"),
    [
        ({"initial": "waiting"}, "waiting"),
        ({"success": "done", "terminal": ["done", "failed"]}, "done"),
        ({"failure": "error", "terminal": ["succeeded", "error"]}, "error"),
        ({"terminal": ["succeeded", "failed", "cancelled"]}, "cancelled"),
        ({"transitions": {"queued": ["processing"], "paused": ["processing"]}}, "paused"),
        ({"transitions": {"queued": ["running"], "processing": ["succeeded"]}}, "running"),
    ],
)
def test_from_contract_rejects_undeclared_states(changes: dict[str, Any], unknown: str) -> None:
    with pytest.raises(LifecycleError, match=rf"undeclared states: \['{unknown}'\]"):
        Lifecycle.from_contract(spec(**changes))


@pytest.mark.parametrize("terminal", [["failed"], ["succeeded"], [], ["processing"]])
def test_from_contract_requires_success_and_failure_terminal(terminal: list[str]) -> None:
    with pytest.raises(LifecycleError, match="success and failure must be terminal states"):
        Lifecycle.from_contract(spec(terminal=terminal))


def test_from_contract_rejects_transitions_out_of_a_terminal_state() -> None:
    transitions = {"queued": ["processing"], "processing": ["succeeded"], "succeeded": ["queued"]}
    with pytest.raises(LifecycleError, match="terminal state cannot have outgoing transitions"):
        Lifecycle.from_contract(spec(transitions=transitions))


def test_from_contract_rejects_an_empty_transition_list_from_a_terminal_state() -> None:
    transitions = {"queued": ["processing"], "processing": ["succeeded"], "failed": []}
    with pytest.raises(LifecycleError, match="terminal state cannot have outgoing transitions"):
        Lifecycle.from_contract(spec(transitions=transitions))


@pytest.mark.parametrize("missing", ["states", "initial", "success", "failure", "terminal", "transitions"])
def test_from_contract_missing_key(missing: str) -> None:
    block = spec()
    del block[missing]
    with pytest.raises(LifecycleError, match=rf"x-lifecycle is incomplete: '{missing}'"):
        Lifecycle.from_contract(block)


@pytest.mark.parametrize(("key", "value"), [("states", None), ("terminal", 3)])
def test_from_contract_wrong_types(key: str, value: Any) -> None:
    with pytest.raises(LifecycleError, match="x-lifecycle is incomplete"):
        Lifecycle.from_contract(spec(**{key: value}))


@pytest.mark.parametrize(
    ("before", "after", "allowed"),
    [
        ("queued", "queued", True),
        ("queued", "processing", True),
        ("queued", "failed", True),
        ("queued", "succeeded", False),
        ("processing", "succeeded", True),
        ("processing", "failed", True),
        ("processing", "queued", False),
        ("processing", "processing", True),
        ("succeeded", "succeeded", True),
        ("succeeded", "failed", False),
        ("failed", "queued", False),
        ("unknown", "queued", False),
    ],
)
def test_allows(before: str, after: str, allowed: bool) -> None:
    assert LIFECYCLE.allows(before, after) is allowed


# draw_schedule


def test_time_steps_are_cumulative() -> None:
    plan = [
        StepPlan("queued", Fixed(2.0), (0, 0)),
        StepPlan("processing", Fixed(3.5), (1, 50)),
        StepPlan("processing", Fixed(1.0), (50, 99)),
    ]
    assert draw(plan) == Schedule(
        (
            Phase("queued", (0, 0), until_seconds=2.0),
            Phase("processing", (1, 50), until_seconds=5.5),
            Phase("processing", (50, 99), until_seconds=6.5),
        ),
        SUCCESS,
    )


def test_time_steps_are_rounded_to_milliseconds() -> None:
    schedule = draw([StepPlan("queued", Fixed(1 / 3)), StepPlan("processing", Fixed(1 / 3))])
    assert [p.until_seconds for p in schedule.phases] == [0.333, 0.667]


def test_poll_steps_are_cumulative() -> None:
    plan = [StepPlan("queued", Polls(2), (0, 0)), StepPlan("processing", Polls(3), (0, 99))]
    assert draw(plan).phases == (
        Phase("queued", (0, 0), until_polls=2),
        Phase("processing", (0, 99), until_polls=5),
    )


def test_mixed_steps_count_time_and_polls_separately() -> None:
    plan = [
        StepPlan("queued", Fixed(5.0)),
        StepPlan("processing", Polls(3), (0, 50)),
        StepPlan("processing", Fixed(2.0), (50, 99)),
        StepPlan("processing", Polls(1), (99, 99)),
    ]
    assert draw(plan).phases == (
        Phase("queued", (0, 0), until_seconds=5.0),
        Phase("processing", (0, 50), until_polls=3),
        Phase("processing", (50, 99), until_seconds=7.0),
        Phase("processing", (99, 99), until_polls=4),
    )


def test_drawn_lengths_come_from_the_rng() -> None:
    plan = [StepPlan("queued", Uniform(1.0, 10.0)), StepPlan("processing", LogNormal(60.0, 0.5), (1, 99))]
    first = draw(plan, seed=1)
    assert draw(plan, seed=1) == first
    assert draw(plan, seed=2) != first
    rng = random.Random(1)
    queued = Uniform(1.0, 10.0).draw(rng)
    processing = LogNormal(60.0, 0.5).draw(rng)
    assert [p.until_seconds for p in first.phases] == [round(queued, 3), round(queued + processing, 3)]


def test_failure_outcome_is_kept() -> None:
    schedule = draw([StepPlan("queued", Fixed(1.0))], FAILURE)
    assert schedule.outcome is FAILURE


def test_empty_plan() -> None:
    assert draw([], SUCCESS) == Schedule((), SUCCESS)


def test_forbidden_transition_between_steps() -> None:
    plan = [StepPlan("processing", Fixed(1.0)), StepPlan("queued", Fixed(1.0))]
    with pytest.raises(LifecycleError, match="does not allow 'processing' -> 'queued'"):
        draw(plan)


def test_forbidden_transition_skipping_a_state() -> None:
    plan = [StepPlan("queued", Fixed(1.0)), StepPlan("succeeded", Fixed(1.0))]
    with pytest.raises(LifecycleError, match="does not allow 'queued' -> 'succeeded'"):
        draw(plan)


def test_forbidden_transition_into_the_outcome() -> None:
    with pytest.raises(LifecycleError, match="does not allow 'queued' -> 'succeeded'"):
        draw([StepPlan("queued", Fixed(1.0))], SUCCESS)


@pytest.mark.parametrize("state", ["queued", "processing", "nonsense"])
def test_non_terminal_outcome_raises(state: str) -> None:
    with pytest.raises(LifecycleError, match=f"'{state}' is not a terminal state"):
        draw([StepPlan("queued", Fixed(1.0))], Outcome(state))


def test_fail_at_progress_cuts_a_time_step_proportionally() -> None:
    plan = [
        StepPlan("queued", Fixed(10.0), (0, 0)),
        StepPlan("processing", Fixed(20.0), (1, 99)),
        StepPlan("processing", Fixed(30.0), (99, 99)),
    ]
    schedule = draw(plan, FAILURE, fail_at_progress=50)
    assert schedule.phases == (
        Phase("queued", (0, 0), until_seconds=10.0),
        Phase("processing", (1, 50), until_seconds=20.0),
    )
    assert schedule.outcome == FAILURE


def test_fail_at_progress_zero_stops_after_the_first_step() -> None:
    plan = [StepPlan("queued", Fixed(10.0), (0, 0)), StepPlan("processing", Fixed(20.0), (1, 99))]
    assert draw(plan, FAILURE, fail_at_progress=0).phases == (Phase("queued", (0, 0), until_seconds=10.0),)


def test_fail_at_progress_at_a_step_start_gives_a_zero_length_step() -> None:
    plan = [StepPlan("queued", Fixed(10.0), (0, 0)), StepPlan("processing", Fixed(20.0), (1, 99))]
    assert draw(plan, FAILURE, fail_at_progress=1).phases == (
        Phase("queued", (0, 0), until_seconds=10.0),
        Phase("processing", (1, 1), until_seconds=10.0),
    )


@pytest.mark.parametrize(("fail_at", "polls"), [(30, 3), (1, 1), (0, 1), (95, 10), (50, 5)])
def test_fail_at_progress_cuts_a_poll_step(fail_at: int, polls: int) -> None:
    plan = [StepPlan("processing", Polls(10), (0, 100))]
    assert draw(plan, FAILURE, fail_at_progress=fail_at).phases == (
        Phase("processing", (0, fail_at), until_polls=polls),
    )


def test_fail_at_progress_beyond_the_plan_keeps_the_whole_timeline() -> None:
    plan = [StepPlan("queued", Fixed(10.0), (0, 0)), StepPlan("processing", Fixed(20.0), (1, 99))]
    assert draw(plan, FAILURE, fail_at_progress=99) == draw(plan, FAILURE)


def test_fail_at_progress_still_checks_the_outcome_transition() -> None:
    with pytest.raises(LifecycleError, match="does not allow 'queued' -> 'succeeded'"):
        draw([StepPlan("queued", Fixed(1.0), (0, 10)), StepPlan("processing", Fixed(1.0))], SUCCESS, fail_at_progress=5)


# evaluate


TIMED = Schedule(
    (Phase("queued", (0, 0), until_seconds=10.0), Phase("processing", (1, 99), until_seconds=30.0)),
    SUCCESS,
)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (0.0, Status("queued", 0, False, None)),
        (9.999, Status("queued", 0, False, None)),
        (10.0, Status("processing", 1, False, None)),
        (15.0, Status("processing", 25, False, None)),
        (20.0, Status("processing", 50, False, None)),
        (29.999, Status("processing", 98, False, None)),
        (30.0, Status("succeeded", 100, True, 30.0)),
        (1e9, Status("succeeded", 100, True, 30.0)),
    ],
)
def test_evaluate_time_boundaries(elapsed: float, expected: Status) -> None:
    assert evaluate(TIMED, elapsed, 0) == expected
    assert evaluate(TIMED, elapsed, 50) == expected  # polls do not move a time-keyed step


POLLED = Schedule(
    (Phase("queued", (0, 0), until_polls=2), Phase("processing", (0, 90), until_polls=5)),
    SUCCESS,
)


@pytest.mark.parametrize(
    ("polls", "expected"),
    [
        (0, Status("queued", 0, False, None)),
        (1, Status("queued", 0, False, None)),
        (2, Status("queued", 0, False, None)),
        (3, Status("processing", 30, False, None)),
        (4, Status("processing", 60, False, None)),
        (5, Status("processing", 90, False, None)),
        (6, Status("succeeded", 100, True, None)),
        (100, Status("succeeded", 100, True, None)),
    ],
)
def test_evaluate_poll_boundaries(polls: int, expected: Status) -> None:
    assert evaluate(POLLED, 0.0, polls) == expected
    assert evaluate(POLLED, 1e6, polls) == expected  # time does not move a poll-keyed step


def test_single_poll_step_is_seen_by_polls_one_to_n() -> None:
    schedule = Schedule((Phase("processing", (0, 99), until_polls=3),), SUCCESS)
    assert [evaluate(schedule, 0.0, n).state for n in range(1, 5)] == [
        "processing",
        "processing",
        "processing",
        "succeeded",
    ]


def test_progress_interpolates_linearly_in_a_time_step() -> None:
    schedule = Schedule((Phase("processing", (10, 60), until_seconds=100.0),), SUCCESS)
    assert [evaluate(schedule, t, 0).progress for t in (0, 10, 25, 50, 99)] == [10, 15, 22, 35, 59]


def test_negative_elapsed_clamps_progress_to_the_step_start() -> None:
    schedule = Schedule((Phase("processing", (10, 60), until_seconds=100.0),), SUCCESS)
    assert evaluate(schedule, -5.0, 0) == Status("processing", 10, False, None)


def test_zero_length_time_step_is_never_seen() -> None:
    schedule = Schedule(
        (Phase("queued", (0, 0), until_seconds=0.0), Phase("processing", (1, 99), until_seconds=10.0)), SUCCESS
    )
    assert evaluate(schedule, 0.0, 0) == Status("processing", 1, False, None)


def test_failure_keeps_the_progress_reached() -> None:
    schedule = Schedule(
        (Phase("queued", (0, 0), until_seconds=10.0), Phase("processing", (1, 50), until_seconds=20.0)), FAILURE
    )
    assert evaluate(schedule, 19.0, 0) == Status("processing", 45, False, None)
    assert evaluate(schedule, 20.0, 0) == Status("failed", 50, True, 20.0)


def test_failure_after_a_cut_schedule_reports_the_cut_progress() -> None:
    plan = [StepPlan("queued", Fixed(10.0), (0, 0)), StepPlan("processing", Fixed(20.0), (1, 99))]
    schedule = draw(plan, FAILURE, fail_at_progress=50)
    assert evaluate(schedule, 19.999, 0).progress == 49
    assert evaluate(schedule, 20.0, 0) == Status("failed", 50, True, 20.0)


def test_failure_in_the_first_step_reports_zero() -> None:
    schedule = draw([StepPlan("queued", Fixed(5.0), (0, 0))], FAILURE)
    assert evaluate(schedule, 5.0, 0) == Status("failed", 0, True, 5.0)


def test_empty_schedule_is_terminal_at_once() -> None:
    assert evaluate(Schedule((), SUCCESS), 0.0, 0) == Status("succeeded", 100, True, 0.0)
    assert evaluate(Schedule((), FAILURE), 0.0, 0) == Status("failed", 0, True, 0.0)


def test_finished_after_is_the_time_based_end() -> None:
    plan = [StepPlan("queued", Fixed(4.0)), StepPlan("processing", Fixed(6.5), (1, 99))]
    assert evaluate(draw(plan), 100.0, 0).finished_after == 10.5


def test_finished_after_is_none_when_a_poll_step_ends_the_task() -> None:
    plan = [StepPlan("queued", Fixed(4.0)), StepPlan("processing", Polls(2), (1, 99))]
    schedule = draw(plan)
    assert evaluate(schedule, 100.0, 2) == Status("processing", 99, False, None)
    assert evaluate(schedule, 100.0, 3) == Status("succeeded", 100, True, None)


def test_phase_and_schedule_to_dict() -> None:
    schedule = Schedule(
        (Phase("queued", (0, 0), until_seconds=1.5), Phase("processing", (1, 99), until_polls=3)),
        Outcome("failed", error=ERROR, details={"reason": "nsfw"}),
    )
    assert schedule.to_dict() == {
        "phases": [
            {"state": "queued", "progress": [0, 0], "until_seconds": 1.5},
            {"state": "processing", "progress": [1, 99], "until_polls": 3},
        ],
        "outcome": {"state": "failed", "error": ERROR, "reason": "nsfw"},
    }


# properties


def reachable(lifecycle: Lifecycle, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in lifecycle.transitions.get(todo.pop(), frozenset()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


timings: st.SearchStrategy[Timing] = st.one_of(
    st.builds(Fixed, st.floats(0, 100)),
    st.builds(Uniform, st.just(0.0), st.floats(0, 100)),
    st.builds(Polls, st.integers(1, 5)),
)


@st.composite
def plans(draw_: st.DrawFn) -> tuple[list[StepPlan], Outcome, int | None]:
    queued = draw_(st.integers(0, 2))
    processing = draw_(st.integers(0, 3))
    succeed = draw_(st.booleans())
    if succeed and queued and not processing:
        processing = 1
    states = ["queued"] * queued + ["processing"] * processing
    bounds = sorted(draw_(st.lists(st.integers(0, 99), min_size=len(states) + 1, max_size=len(states) + 1)))
    plan = [StepPlan(state, draw_(timings), (bounds[i], bounds[i + 1])) for i, state in enumerate(states)]
    fail_at = None if succeed else draw_(st.none() | st.integers(0, 100))
    return plan, SUCCESS if succeed else FAILURE, fail_at


observations = st.lists(st.tuples(st.floats(0, 60), st.integers(0, 3)), min_size=1, max_size=30).map(
    lambda steps: list(
        accumulate(steps, lambda total, step: (total[0] + step[0], total[1] + step[1]), initial=(0.0, 0))
    )
)


@settings(max_examples=100, deadline=None)
@given(planned=plans(), seed=st.integers(0, 2**16), seen=observations)
def test_evaluated_states_move_only_forward(
    planned: tuple[list[StepPlan], Outcome, int | None], seed: int, seen: list[tuple[float, int]]
) -> None:
    plan, outcome, fail_at = planned
    schedule = draw_schedule(LIFECYCLE, plan, outcome, random.Random(seed), fail_at_progress=fail_at)
    statuses = [evaluate(schedule, elapsed, polls) for elapsed, polls in seen]
    assert statuses[0].state in reachable(LIFECYCLE, LIFECYCLE.initial)
    for before, after in pairwise(statuses):
        assert after.state in reachable(LIFECYCLE, before.state)
        assert after.progress >= before.progress
        if before.terminal:
            assert after == before
    for status in statuses:
        assert status.terminal is (status.state in LIFECYCLE.terminal)
        assert 0 <= status.progress <= 100
        if status.terminal:
            assert status.state == outcome.state
            reached = schedule.phases[-1].progress[1] if schedule.phases else 0
            assert status.progress == (100 if outcome.error is None else reached)
        else:
            assert status.finished_after is None


@settings(max_examples=100, deadline=None)
@given(planned=plans(), seed=st.integers(0, 2**16))
def test_schedules_are_deterministic_and_end_terminal(
    planned: tuple[list[StepPlan], Outcome, int | None], seed: int
) -> None:
    plan, outcome, fail_at = planned
    schedule = draw_schedule(LIFECYCLE, plan, outcome, random.Random(seed), fail_at_progress=fail_at)
    assert schedule == draw_schedule(LIFECYCLE, plan, outcome, random.Random(seed), fail_at_progress=fail_at)
    ends = [p.until_seconds for p in schedule.phases if p.until_seconds is not None]
    assert ends == sorted(ends)
    poll_ends = [p.until_polls for p in schedule.phases if p.until_polls is not None]
    assert poll_ends == sorted(poll_ends)
    final = evaluate(schedule, (ends[-1] if ends else 0.0) + 1.0, (poll_ends[-1] if poll_ends else 0) + 1)
    assert final.terminal
    assert final.state == outcome.state


@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=2, max_size=2))
def test_phase_ends_are_the_running_total_to_the_millisecond(seconds: list[float]) -> None:
    plan = [StepPlan("queued", Fixed(seconds[0])), StepPlan("processing", Fixed(seconds[1]), (1, 99))]
    ends = [phase.until_seconds for phase in draw(plan).phases]
    for end, total in zip(ends, accumulate(seconds), strict=True):
        assert end is not None and abs(end - total) <= 0.0005 + 1e-9 * total
        assert end == round(end, 3)


def test_allowed_moves_are_the_transitions_and_staying_put() -> None:
    pairs = {(before, after) for before, targets in LIFECYCLE.transitions.items() for after in targets}
    for before in LIFECYCLE.states:
        for after in LIFECYCLE.states:
            assert LIFECYCLE.allows(before, after) == (before == after or (before, after) in pairs)


def test_with_timings_replaces_only_the_named_states_and_keeps_their_progress() -> None:
    steps = (StepPlan("queued", Fixed(3.0)), StepPlan("running", Fixed(60.0), (1, 99)))
    timed = with_timings(steps, {"running": {"uniform": [10, 20]}, "absent": {"forever": True}})
    assert timed == [StepPlan("queued", Fixed(3.0)), StepPlan("running", Uniform(10.0, 20.0), (1, 99))]
    assert with_timings(steps, {"queued": {"forever": True}})[0] == StepPlan("queued", Forever())
    assert with_timings(steps, {}) == list(steps)


@settings(max_examples=200, deadline=None)
@given(
    planned=plans(),
    seed=st.integers(0, 2**16),
    elapsed=st.floats(-100, 1000, allow_nan=False),
    polls=st.integers(0, 30),
)
def test_a_running_tasks_progress_lies_within_its_steps_range(
    planned: tuple[list[StepPlan], Outcome, int | None], seed: int, elapsed: float, polls: int
) -> None:
    plan, outcome, fail_at = planned
    schedule = draw_schedule(LIFECYCLE, plan, outcome, random.Random(seed), fail_at_progress=fail_at)
    status = evaluate(schedule, elapsed, polls)
    assert status == evaluate(schedule, max(elapsed, 0.0), polls)  # before submit reads as at submit
    phase = current_phase(schedule, max(elapsed, 0.0), polls)
    assert status.terminal is (phase is None)
    if phase is not None:
        low, high = phase.progress
        assert (status.state, low <= status.progress <= high) == (phase.state, True)
