"""`current_phase` names the step `evaluate` reads the state from, for any schedule, time and poll count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mockserver.engine import Outcome, Phase, Schedule, current_phase, evaluate

STATES = ("queued", "processing")


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """Steps that end on the clock, after polls, or never (a last step only), cumulative as `draw_schedule` makes
    them."""
    phases, seconds, polls = [], 0.0, 0
    for n in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["seconds", "polls", "forever"]))
        state = STATES[n % 2]
        if kind == "forever":
            phases.append(Phase(state, (0, 50)))
            break
        if kind == "seconds":
            seconds += draw(st.floats(0, 100))
            phases.append(Phase(state, (0, 50), until_seconds=round(seconds, 3)))
        else:
            polls += draw(st.integers(1, 5))
            phases.append(Phase(state, (0, 50), until_polls=polls))
    return Schedule(tuple(phases), Outcome("succeeded"))


@given(schedule=schedules(), elapsed=st.floats(0, 500), polls=st.integers(0, 30))
def test_the_current_step_is_the_one_evaluate_reads(schedule: Schedule, elapsed: float, polls: int) -> None:
    status = evaluate(schedule, elapsed, polls)
    phase = current_phase(schedule, elapsed, polls)
    assert (phase is None) == status.terminal
    assert phase is None or phase.state == status.state


def test_a_step_that_never_ends_is_current_forever() -> None:
    forever = Schedule((Phase("queued", (0, 0), until_seconds=5.0), Phase("processing", (0, 50))), Outcome("failed"))
    assert current_phase(forever, 1.0, 0) == forever.phases[0]
    assert current_phase(forever, 1e9, 10**6) == forever.phases[1]
