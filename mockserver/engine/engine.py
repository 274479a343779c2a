"""The task engine: submit, poll and inspect tasks. It knows nothing of HTTP or of any gateway."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterator, Sequence
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
from mockserver.engine.store import AsyncTaskStore, TaskStore
from mockserver.engine.task import Task, TaskView

IdFactory = Callable[[Draws], str]
Offload = Callable[..., Awaitable[Any]]
"""`await offload(function, *args)`: runs `function(*args)` where it cannot hold up the event loop (a shared
store's threads), in the caller's context, and returns its result."""


async def run_here(function: Callable[..., Any], *args: Any) -> Any:
    """The offload of a store that never waits (memory): the call itself."""
    return function(*args)


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
    def __init__(
        self,
        store: TaskStore,
        clock: Clock,
        randomness: RandomSource,
        max_tasks: int | None = None,
        offload: Offload = run_here,
    ) -> None:
        self.store = store
        self.hot: AsyncTaskStore | None = store if isinstance(store, AsyncTaskStore) else None
        """The store's own awaitable calls for submits and polls (a shared store), else None (memory: no waiting)."""
        self.offload = offload
        """Where the other `a`-prefixed methods run the store's calls (a shared store's thread)."""
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
        _, rng = self.randomness.next_stream(f"task:{submission.provider}")  # a shared store reads the clock with it
        now = self.clock.now()
        self.ensure_room(now)
        schedule, seed = self._schedule(submission, rng)
        while not self.store.add(task := self._new_task(submission, schedule, seed, rng, now)):
            pass
        return self._view(task, now)

    async def asubmit(self, submission: Submission) -> TaskView:
        """`submit`, as the gateways await it: a store that waits on I/O is sent its commands without holding up
        the event loop (pipelined to Redis, handed to SQLite's thread)."""
        hot = self.hot
        if hot is None:
            return self.submit(submission)
        family = f"task:{submission.provider}"
        rng = self.randomness.stream(f"{family}:{await hot.anext_number(family)}")  # as `next_stream` numbers it
        now = self.clock.now()
        if self.max_tasks is None or self._unchecked <= 0 or self.store.purge_due(now):
            await self.offload(self.ensure_room, now)
        else:
            self._unchecked -= 1
        schedule, seed = self._schedule(submission, rng)
        while not await hot.aadd(task := self._new_task(submission, schedule, seed, rng, now)):
            pass
        return await self._aview(task, now)

    def _schedule(self, submission: Submission, rng: Draws) -> tuple[Schedule, int]:
        """The task's schedule, and the seed of what is drawn for it later, from its own stream."""
        plan = submission.plan if submission.settle is None else submission.settle(submission.plan, rng)
        schedule = draw_schedule(
            submission.lifecycle, plan, submission.outcome, rng, fail_at_progress=submission.fail_at_progress
        )
        if submission.deadline is not None:
            schedule = within_deadline(schedule, *submission.deadline)
        return schedule, rng.getrandbits(32)

    def _new_task(self, submission: Submission, schedule: Schedule, seed: int, rng: Draws, now: float) -> Task:
        """A task with the next id its stream draws (the store refuses an id that is taken: the caller draws
        again)."""
        return Task(
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
            if evaluate(task.schedule, elapsed, task.polls).terminal:
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
        task = self.store.record_poll(task_id, provider)  # a shared store reads the clock in the same round trip
        now = self.clock.now()
        return None if task is None or task.expires_at <= now else self._view(task, now)

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
        if not self.store.end(ended):  # ended or gone meanwhile (a request to another worker)
            return None
        return self._view(ended, now)

    def tasks(self, provider: str | None = None) -> Iterator[TaskView]:
        now = self.clock.now()
        for task in self.store.scan(now):
            if provider is None or task.provider == provider:
                yield self._view(task, now)

    async def apoll(self, provider: str, task_id: str) -> TaskView | None:
        """`poll`, as the gateways await it (one round trip to Redis: count, task and clock together)."""
        hot = self.hot
        if hot is None:
            return self.poll(provider, task_id)
        task = await hot.apoll_task(task_id, provider)
        now = self.clock.now()
        return None if task is None or task.expires_at <= now else await self._aview(task, now)

    async def apeek(self, task_id: str, provider: str | None = None) -> TaskView | None:
        view: TaskView | None = await self.offload(self.peek, task_id, provider)
        return view

    async def adelete(self, provider: str, task_id: str) -> bool:
        return bool(await self.offload(self.delete, provider, task_id))

    async def aensure_room(self) -> None:
        if self.hot is None:  # the memory store: nothing to wait for
            self.ensure_room()
            return
        await self.offload(self.ensure_room)

    async def atasks(self, provider: str | None = None) -> list[TaskView]:
        views: list[TaskView] = await self.offload(lambda: list(self.tasks(provider)))
        return views

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
        view, finished = self._status(task, now)
        if finished is not None:
            self.store.mark_finished(task.id, finished)
        return view

    async def _aview(self, task: Task, now: float) -> TaskView:
        view, finished = self._status(task, now)
        if finished is not None:
            assert self.hot is not None
            await self.hot.amark_finished(task.id, finished)
        return view

    def _status(self, task: Task, now: float) -> tuple[TaskView, float | None]:
        """The task's view at `now`, and when it finished if this is the first read to see it terminal (the store
        is told once)."""
        elapsed = now - task.created_at - task.status_lag
        status = evaluate(task.schedule, elapsed, task.polls)
        if not status.terminal or task.finished_at is not None:
            return TaskView(task, status, now), None
        finished = now if status.finished_after is None else task.created_at + task.status_lag + status.finished_after
        task.finished_at = finished
        return TaskView(task, status, now), finished
