"""Checks of a task's history of polls, run after every poll: the contract's `x-lifecycle`, held over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.conformance.failures import CheckFailure
from mockserver.conformance.registry import check
from mockserver.engine.lifecycle import Lifecycle


@dataclass(frozen=True)
class Observation:
    status: Any
    progress: Any  # None when the gateway reports no progress
    result_url: Any  # None or "" when absent
    succeeded: bool  # the status says success and nothing says the task failed
    evidence: str


@dataclass
class TaskHistory:
    task_id: str
    lifecycle: Lifecycle
    observations: list[Observation] = field(default_factory=list)

    @property
    def last(self) -> Observation:
        return self.observations[-1]

    @property
    def previous(self) -> Observation | None:
        return self.observations[-2] if len(self.observations) > 1 else None

    @property
    def terminal(self) -> bool:
        return bool(self.observations) and self.last.status in self.lifecycle.terminal

    def trail(self) -> str:
        return " -> ".join(str(o.status) for o in self.observations)


@check("lifecycle")
def status_in_lifecycle(history: TaskHistory) -> None:
    if history.last.status not in history.lifecycle.states:
        raise CheckFailure(
            "Unknown task status",
            f"task {history.task_id} reports {history.last.status!r}; the lifecycle has "
            f"{', '.join(history.lifecycle.states)}",
            history.last.evidence,
        )


@check("lifecycle")
def transition_allowed(history: TaskHistory) -> None:
    before = history.previous
    if before is None or before.status in history.lifecycle.terminal:
        return
    after = history.last.status
    if after in history.lifecycle.states and not _reachable(history.lifecycle, before.status, after):
        raise CheckFailure(
            "Illegal status transition",
            f"task {history.task_id} moved {before.status!r} -> {after!r} ({history.trail()})",
            history.last.evidence,
        )


def _reachable(lifecycle: Lifecycle, start: str, goal: str) -> bool:
    """A poll may miss states in between: goal must be reachable from start along allowed transitions."""
    seen, frontier = {start}, [start]
    while frontier:
        state = frontier.pop()
        if state == goal:
            return True
        for target in lifecycle.transitions.get(state, frozenset()):
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return False


@check("lifecycle")
def terminal_status_stays(history: TaskHistory) -> None:
    before = history.previous
    if before is None or before.status not in history.lifecycle.terminal:
        return
    now = history.last
    if (now.status, now.succeeded) != (before.status, before.succeeded):
        raise CheckFailure(
            "Terminal status changed",
            f"task {history.task_id} was {before.status!r} (terminal) and now reports {now.status!r}",
            now.evidence,
        )


@check("lifecycle")
def progress_never_decreases(history: TaskHistory) -> None:
    before = history.previous
    now = history.last
    if before is None or not isinstance(before.progress, int | float) or not isinstance(now.progress, int | float):
        return
    if now.progress < before.progress:
        raise CheckFailure(
            "Progress went backwards",
            f"task {history.task_id} progress {before.progress} -> {now.progress}",
            now.evidence,
        )


@check("lifecycle")
def result_url_exactly_when_succeeded(history: TaskHistory) -> None:
    now = history.last
    has_url = bool(now.result_url)
    if now.succeeded and not has_url:
        raise CheckFailure(
            "Succeeded without a result URL",
            f"task {history.task_id} reports {now.status!r} but carries no result URL",
            now.evidence,
        )
    if has_url and not now.succeeded:
        raise CheckFailure(
            "Result URL before success",
            f"task {history.task_id} is {now.status!r} but already carries a result URL",
            now.evidence,
        )
