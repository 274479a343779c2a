"""Lifecycle tables and task schedules, as data.

A `Lifecycle` is a gateway's state machine (read from its contract). A `Schedule` is one task's
concrete timeline, fixed at submit. `evaluate` turns (schedule, elapsed seconds, poll count) into
the task's state: a pure function, so no background loop ever moves a task.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mockserver.core.streams import Draws
from mockserver.engine.timing import Forever, Polls, Timing, parse_timing


class LifecycleError(ValueError):
    pass


@dataclass(frozen=True)
class Lifecycle:
    states: tuple[str, ...]
    initial: str
    success: str
    failure: str
    terminal: frozenset[str]
    transitions: Mapping[str, frozenset[str]]
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Other names for this gateway's states (the scenario library's generic `processing` is OctopusX's
    `in_progress`), so one scenario file scripts every gateway."""

    @classmethod
    def from_contract(cls, spec: Mapping[str, Any]) -> Lifecycle:
        """Build from a contract's `x-lifecycle` block."""
        try:
            lifecycle = cls(
                states=tuple(spec["states"]),
                initial=spec["initial"],
                success=spec["success"],
                failure=spec["failure"],
                terminal=frozenset(spec["terminal"]),
                transitions={k: frozenset(v) for k, v in spec["transitions"].items()},
                aliases=dict(spec.get("aliases") or {}),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise LifecycleError(f"x-lifecycle is incomplete: {exc}") from None
        lifecycle.check()
        return lifecycle

    def check(self) -> None:
        known = set(self.states)
        named = {self.initial, self.success, self.failure, *self.terminal, *self.transitions}
        for targets in self.transitions.values():
            named |= targets
        named |= set(self.aliases.values())
        if unknown := named - known:
            raise LifecycleError(f"x-lifecycle names undeclared states: {sorted(unknown)}")
        if not {self.success, self.failure} <= self.terminal:
            raise LifecycleError("success and failure must be terminal states")
        if any(state in self.transitions for state in self.terminal):
            raise LifecycleError("a terminal state cannot have outgoing transitions")

    def allows(self, before: str, after: str) -> bool:
        return before == after or after in self.transitions.get(before, ())


class StepPlan(NamedTuple):
    """One non-terminal step of a profile: its state, how long it lasts, the progress it covers."""

    state: str
    timing: Timing
    progress: tuple[int, int] = (0, 0)


def with_timings(steps: Iterable[StepPlan], timings: Mapping[str, Any]) -> list[StepPlan]:
    """The steps, each whose state `timings` names taking that timing (a `parse_timing` form) in place of its
    own; a named state the steps do not have is passed over."""
    if not timings:
        return list(steps)
    return [
        step._replace(timing=parse_timing(timings[step.state])) if step.state in timings else step for step in steps
    ]


class Phase(NamedTuple):
    """A drawn step: it ends `until_seconds` after submit, or once the task has had `until_polls` polls,
    or never (neither set)."""

    state: str
    progress: tuple[int, int]
    until_seconds: float | None = None
    until_polls: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"state": self.state, "progress": list(self.progress)}
        if self.until_seconds is not None:
            data["until_seconds"] = self.until_seconds
        if self.until_polls is not None:
            data["until_polls"] = self.until_polls
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Phase:
        low, high = data["progress"]
        return cls(
            state=data["state"],
            progress=(low, high),
            until_seconds=data.get("until_seconds"),
            until_polls=data.get("until_polls"),
        )


@dataclass(frozen=True)
class Outcome:
    """How the task ends. A failure carries the gateway's own error (opaque to the engine); a success has none."""

    state: str
    error: Mapping[str, Any] | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


class Schedule(NamedTuple):
    """A task's drawn phases and its outcome."""

    phases: tuple[Phase, ...]
    outcome: Outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "phases": [p.to_dict() for p in self.phases],
            "outcome": {"state": self.outcome.state, "error": self.outcome.error, **dict(self.outcome.details)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """The inverse of `to_dict` (an outcome's details are the keys beside `state` and `error`)."""
        outcome = dict(data["outcome"])
        state, error = outcome.pop("state"), outcome.pop("error", None)
        phases = tuple(Phase.from_dict(p) for p in data["phases"])
        return cls(phases=phases, outcome=Outcome(state=state, error=error, details=outcome))


@dataclass(slots=True)
class Status:
    """A task's state at one instant, computed on every read (and never shared)."""

    state: str
    progress: int
    terminal: bool
    finished_after: float | None
    """Seconds after submit when the task ended, when time alone decided it (no poll-keyed step)."""


def draw_schedule(
    lifecycle: Lifecycle,
    plan: Sequence[StepPlan],
    outcome: Outcome,
    rng: Draws,
    *,
    fail_at_progress: int | None = None,
) -> Schedule:
    """Draw concrete step lengths; with `fail_at_progress`, the timeline is cut where progress reaches it."""
    if outcome.state not in lifecycle.terminal:
        raise LifecycleError(f"{outcome.state!r} is not a terminal state")
    phases: list[Phase] = []
    elapsed, polls = 0.0, 0
    previous = None
    for step in plan:
        state, timing = step.state, step.timing
        if previous is not None and not lifecycle.allows(previous, state):
            raise LifecycleError(f"the lifecycle does not allow {previous!r} -> {state!r}")
        progress, fraction, cut = step.progress, 1.0, False
        if fail_at_progress is not None:
            start, end = progress
            cut = start <= fail_at_progress < max(end, start + 1)
            if cut:
                fraction = (fail_at_progress - start) / (end - start) if end > start else 1.0
                progress = (start, fail_at_progress)
        if isinstance(timing, Forever):
            phases.append(Phase(state=state, progress=progress))
            return Schedule(phases=tuple(phases), outcome=outcome)
        if isinstance(timing, Polls):
            polls += max(1, round(timing.count * fraction))
            phases.append(Phase(state=state, progress=progress, until_polls=polls))
        else:
            elapsed += timing.draw(rng) * fraction
            phases.append(Phase(state=state, progress=progress, until_seconds=round(elapsed, 3)))
        previous = state
        if cut:
            break
    if previous is not None and not lifecycle.allows(previous, outcome.state):
        raise LifecycleError(f"the lifecycle does not allow {previous!r} -> {outcome.state!r}")
    return Schedule(phases=tuple(phases), outcome=outcome)


def within_deadline(schedule: Schedule, seconds: float, outcome: Outcome) -> Schedule:
    """The schedule cut `seconds` after submit: a task whose timed steps run past then (or never end) ends there in
    `outcome` (a gateway's expiry). A schedule with a step that polls end is left whole: time alone cannot cut it."""
    phases: list[Phase] = []
    for phase in schedule.phases:
        if phase.until_polls is not None:
            return schedule
        if phase.until_seconds is None or phase.until_seconds > seconds:
            phases.append(phase._replace(until_seconds=seconds))
            return Schedule(phases=tuple(phases), outcome=outcome)
        phases.append(phase)
    return schedule


def evaluate(schedule: Schedule, elapsed: float, polls: int) -> Status:
    """The task's state `elapsed` seconds after submit (before it: as at submit), having been polled `polls` times
    (this poll included)."""
    elapsed = max(elapsed, 0.0)
    start_seconds, start_polls = 0.0, 0
    last_progress = 0
    finished_after: float | None = 0.0
    ended_by_polls = False
    for phase in schedule.phases:
        low, high = phase.progress
        if phase.until_seconds is not None:
            if elapsed < phase.until_seconds:
                span = phase.until_seconds - start_seconds
                fraction = (elapsed - start_seconds) / span if span > 0 else 1.0
                return _running(phase.state, _between(low, high, fraction))
            start_seconds = finished_after = phase.until_seconds
        elif phase.until_polls is not None:
            if polls <= phase.until_polls:
                span = phase.until_polls - start_polls
                fraction = (polls - start_polls) / span if span > 0 else 1.0
                return _running(phase.state, _between(low, high, fraction))
            start_polls = phase.until_polls
            ended_by_polls = True
        else:
            return _running(phase.state, low)
        last_progress = high
    if ended_by_polls:
        finished_after = None  # a poll ended a step: only the first read that sees the end can date it
    progress = 100 if schedule.outcome.error is None else last_progress
    return Status(state=schedule.outcome.state, progress=progress, terminal=True, finished_after=finished_after)


def current_phase(schedule: Schedule, elapsed: float, polls: int) -> Phase | None:
    """The step the task is in `elapsed` seconds after submit with `polls` polls (as `evaluate` walks the
    schedule), or None once it has ended."""
    for phase in schedule.phases:
        if phase.until_seconds is not None:
            if elapsed < phase.until_seconds:
                return phase
        elif phase.until_polls is None or polls <= phase.until_polls:
            return phase
    return None


def _running(state: str, progress: int) -> Status:
    return Status(state=state, progress=progress, terminal=False, finished_after=None)


def _between(low: int, high: int, fraction: float) -> int:
    """The progress `fraction` (0 to 1: `evaluate` asks only for the step the task is within) of the way from
    `low` to `high`."""
    return int(low + (high - low) * fraction)
