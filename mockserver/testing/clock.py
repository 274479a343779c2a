"""The clock as a test drives it: advance, set, and advance until a task reaches a state."""

from __future__ import annotations

from collections.abc import Callable

from mockserver.engine import Phase, Task, TaskView
from mockserver.server.runtime import MockRuntime

DEFAULT_LIMIT = 3600.0
_PAST_BOUNDARY = 0.001  # step just past a phase's end, so float rounding never leaves the task short of it


class TaskNotReached(AssertionError):
    """`advance_until` could not bring the task to the state: it ended elsewhere, waits for polls, or the
    limit ran out. An AssertionError, so pytest reports it as a test failure with this message."""


class UnknownTask(TaskNotReached):
    """No such task on the mock: never submitted, dropped by a reset, or past its lifetime."""


class TestClock:
    """The mock's clock, for tests. It follows the mock's current runtime, so a reference to it (or to
    `advance`, e.g. as a client's sleep function) stays valid after the mock is reconfigured."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, runtime: Callable[[], MockRuntime]) -> None:
        self._runtime = runtime

    def now(self) -> float:
        return self._runtime().clock.now()

    def advance(self, seconds: float) -> float:
        """Move time forward; returns the new time. Usable as a client's `sleep` function."""
        return self._runtime().clock.advance(seconds)

    def set(self, when: float) -> float:
        return self._runtime().clock.set(when)

    def advance_until(self, task_id: str, state: str = "succeeded", *, limit: float = DEFAULT_LIMIT) -> TaskView:
        """Advance the clock, one lifecycle step at a time, until the task is in `state`; return its view.

        The task is read without counting a poll (as the admin API reads it), so the client's own polls
        are unaffected. Raises TaskNotReached when the task ends in another state, when its current step
        waits for polls (only a client's fetch moves it), or after `limit` seconds of virtual time.
        """
        runtime = self._runtime()
        self._check_state(runtime, task_id, state)
        started = runtime.clock.now()
        while True:
            view = runtime.engine.peek(task_id)
            if view is None:
                raise UnknownTask(unknown_task_message(runtime, task_id))
            if view.state == state:
                return view
            if view.terminal:
                error = view.task.schedule.outcome.error
                reason = f" with error {dict(error)}" if error else ""
                raise TaskNotReached(f"task {task_id} ended {view.state!r}{reason}, so it can never be {state!r}")
            phase = _current_phase(view)
            if phase is None or phase.until_seconds is None:
                polls = phase.until_polls if phase is not None else "?"
                raise TaskNotReached(
                    f"task {task_id} stays {view.state!r} until it has been polled more than {polls} times "
                    f"(it has had {view.task.polls}): advancing the clock cannot move it; poll it as the client does"
                )
            waited = view.now - started
            if waited >= limit:
                ends = view.task.created_at + phase.until_seconds - view.now
                raise TaskNotReached(
                    f"task {task_id} is still {view.state!r} (progress {view.progress}%) after advancing "
                    f"{waited:g} s, the limit; this step ends {ends:g} s from now: raise `limit` to wait for it"
                )
            step = view.task.created_at + phase.until_seconds - view.now + _PAST_BOUNDARY
            runtime.clock.advance(min(max(step, 0.0), limit - waited))

    @staticmethod
    def _check_state(runtime: MockRuntime, task_id: str, state: str) -> None:
        view = runtime.engine.peek(task_id)
        if view is None:
            raise UnknownTask(unknown_task_message(runtime, task_id))
        states = runtime.contexts[view.task.provider].contract.lifecycle.states
        if state not in states:
            raise ValueError(f"{state!r} is not a state of {view.task.provider} tasks: use one of {', '.join(states)}")


def _current_phase(view: TaskView) -> Phase | None:
    """The schedule step the task is in (mirrors `lifecycle.evaluate`)."""
    task: Task = view.task
    elapsed = view.now - task.created_at
    for phase in task.schedule.phases:
        if phase.until_seconds is not None and elapsed < phase.until_seconds:
            return phase
        if phase.until_polls is not None and task.polls <= phase.until_polls:
            return phase
    return None


def unknown_task_message(runtime: MockRuntime, task_id: str) -> str:
    known = [view.task.id for view in runtime.engine.tasks()]
    listed = ", ".join(known[-5:]) if known else "none"
    return (
        f"no task {task_id!r} on the mock: it was never submitted, or its lifetime ended "
        f"(live tasks: {listed}). A reset between tests drops every task."
    )
