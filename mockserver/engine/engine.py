"""The task engine: submit, poll and inspect tasks. It knows nothing of HTTP or of any gateway."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mockserver.core.clock import Clock
from mockserver.core.randomness import RandomSource
from mockserver.core.streams import Draws
from mockserver.engine.lifecycle import (
    Lifecycle,
    Outcome,
    Phase,
    Schedule,
    StepPlan,
    current_phase,
    draw_schedule,
    evaluate,
    within_deadline,
)
from mockserver.engine.store import TaskStore
from mockserver.engine.task import Task, TaskView

IdFactory = Callable[[Draws], str]


@dataclass(slots=True)
class Submission:
    """Everything a provider decides at submit; the engine draws the rest from the seeded source."""

    provider: str
    lifecycle: Lifecycle
    plan: Sequence[StepPlan]
    outcome: Outcome
    request: dict[str, Any]
    new_id: IdFactory
    retention: float
    """Seconds the gateway keeps the task; after that it is gone, as on the real gateway."""
    scenario: str = "default"
    fail_at_progress: int | None = None
    status_lag: float = 0.0
    """Seconds by which reads of the task trail its true state (status changes that arrive late)."""
    settle: Callable[[Sequence[StepPlan], Draws], Sequence[StepPlan]] | None = None
    """The plan's last word, drawn from the task's own stream before the schedule (a gateway that queues its
    tasks at submit draws how long each runs here), so a submit starts one stream, not two."""
    deadline: tuple[float, Outcome] | None = None
    """Seconds after submit by which the task must have ended, and how it ends when it has not (an expiry)."""


class StoreFull(Exception):
    """The store holds `max_tasks` tasks and none of them is finished: a new one has no room."""

    def __init__(self, max_tasks: int) -> None:
        super().__init__(f"the mock holds {max_tasks} tasks, none finished (the max_tasks setting): retry later")
        self.max_tasks = max_tasks


class TaskEngine:
    def __init__(self, store: TaskStore, clock: Clock, randomness: RandomSource, max_tasks: int | None = None) -> None:
        self.store = store
        self.clock = clock
        self.randomness = randomness
        self.max_tasks = max_tasks
        """Stored tasks at most (None: no cap); past it the oldest finished ones make room."""
        self._unchecked = 0
        """Submits that fit under the cap for certain since the store was last counted (it is counted once per
        hundredth of the cap). Processes sharing a store each keep their own: there the cap holds within a
        hundredth of it per process."""

    def submit(self, submission: Submission) -> TaskView:
        """Store a new task; raises StoreFull when `max_tasks` are stored and none of them can be dropped."""
        now = self.clock.now()
        self.ensure_room(now)
        _, rng = self.randomness.next_stream(f"task:{submission.provider}")
        plan = submission.plan if submission.settle is None else submission.settle(submission.plan, rng)
        schedule = draw_schedule(
            submission.lifecycle, plan, submission.outcome, rng, fail_at_progress=submission.fail_at_progress
        )
        if submission.deadline is not None:
            schedule = within_deadline(schedule, *submission.deadline)
        task = self._new_task(submission, schedule, rng, now)
        return self._view(task, now)

    def _new_task(self, submission: Submission, schedule: Schedule, rng: Draws, now: float) -> Task:
        seed = rng.getrandbits(32)
        while True:
            task = Task(
                id=submission.new_id(rng),
                provider=submission.provider,
                created_at=now,
                expires_at=now + submission.retention,
                schedule=schedule,
                request=submission.request,
                scenario=submission.scenario,
                seed=seed,
                polls=0,
                finished_at=None,
                status_lag=submission.status_lag,
            )
            if self.store.add(task):
                return task

    def ensure_room(self, now: float | None = None) -> None:
        """Drop expired tasks and, at the cap, the oldest finished ones; raises StoreFull when none can go (a
        gateway that charges for a task asks before it charges)."""
        now = self.clock.now() if now is None else now
        self.store.purge(now)
        if self.max_tasks is None:
            return
        if self._unchecked > 0:
            self._unchecked -= 1
            return
        stored = len(self.store)
        if stored >= self.max_tasks:
            stored = self._make_room(now, self.max_tasks)
        self._unchecked = min(self.max_tasks - stored, self.max_tasks // 100) - 1

    def _make_room(self, now: float, max_tasks: int) -> int:
        """Drop the oldest finished tasks, a hundredth of the cap at a time (at least enough for this one); the
        number of tasks left, or StoreFull when the store is still full."""
        wanted = len(self.store) - max_tasks + max(1, max_tasks // 100)
        finished = []
        for task in self.store.scan(now):  # oldest first
            elapsed = now - task.created_at - task.status_lag
            if evaluate(task.schedule, max(elapsed, 0.0), task.polls).terminal:
                finished.append(task.id)
                if len(finished) >= wanted:
                    break
        for task_id in finished:
            self.store.remove(task_id)
        stored = len(self.store)
        if stored >= max_tasks:
            raise StoreFull(max_tasks)
        return stored

    def poll(self, provider: str, task_id: str) -> TaskView | None:
        """Read a task as its client does: the read counts as a poll, and poll-keyed steps advance."""
        now = self.clock.now()
        known = self.store.get(task_id, now)
        if known is None or known.provider != provider:
            return None
        task = self.store.record_poll(task_id, now)
        return None if task is None else self._view(task, now)

    def peek(self, task_id: str, provider: str | None = None) -> TaskView | None:
        """Read a task without counting a poll (admin, media)."""
        now = self.clock.now()
        task = self.store.get(task_id, now)
        if task is None or (provider is not None and task.provider != provider):
            return None
        return self._view(task, now)

    def delete(self, provider: str, task_id: str) -> bool:
        """Drop a task of `provider`, as a gateway does when its client deletes it; False when unknown."""
        task = self.store.get(task_id, self.clock.now())
        if task is None or task.provider != provider:
            return False
        return self.store.remove(task_id)

    def end(self, provider: str, task_id: str, outcome: Outcome, keep_for: float) -> TaskView | None:
        """End a live task of `provider` now, in `outcome` (a client's cancellation), its record kept `keep_for`
        seconds from now; None when it is unknown or already ended."""
        now = self.clock.now()
        view = self.peek(task_id, provider)
        if view is None or view.terminal:
            return None
        task = view.task
        elapsed = math.floor(max(now - task.created_at - task.status_lag, 0.0) * 1000) / 1000
        phase = Phase(view.state, (view.progress, view.progress), until_seconds=elapsed)
        ended = replace(task, schedule=Schedule((phase,), outcome), expires_at=now + keep_for, finished_at=now)
        ended.derived = None
        self.store.remove(task_id)
        self.store.add(ended)
        return self._view(ended, now)

    def tasks(self, provider: str | None = None) -> Iterator[TaskView]:
        now = self.clock.now()
        for task in self.store.scan(now):
            if provider is None or task.provider == provider:
                yield self._view(task, now)

    def next_change(self) -> tuple[float, TaskView] | None:
        """The soonest instant at which a live task moves to its next step on the clock alone, and that task; None
        when no task will (every one has ended, or waits for polls or forever)."""
        soonest: tuple[float, TaskView] | None = None
        for view in self.tasks():
            task = view.task
            phase = current_phase(task.schedule, max(view.now - task.created_at - task.status_lag, 0.0), task.polls)
            if phase is None or phase.until_seconds is None:
                continue
            when = task.created_at + task.status_lag + phase.until_seconds
            if soonest is None or when < soonest[0]:
                soonest = (when, view)
        return soonest

    def reset(self) -> None:
        self.store.clear()
        self.randomness.reset()

    def _view(self, task: Task, now: float) -> TaskView:
        elapsed = now - task.created_at - task.status_lag
        status = evaluate(task.schedule, max(elapsed, 0.0), task.polls)
        if status.terminal and task.finished_at is None:
            finished = (
                now if status.finished_after is None else task.created_at + task.status_lag + status.finished_after
            )
            self.store.mark_finished(task.id, finished)
            task.finished_at = finished
        return TaskView(task, status, now)
