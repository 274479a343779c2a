"""The server's task queue and how long its tasks take, free of HTTP.

The queue runs two tasks at once, first in first out (reference A.5). Because every step length is drawn at
submit, the queue can be settled at submit too: a task starts when the earliest of the two slots frees up.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from mockserver.engine import Fixed, Forever, LogNormal, Outcome, Polls, StepPlan, parse_timing
from mockserver.engine.timing import Timing
from mockserver.providers.jimeng2api.models_failures import TaskFailure

CONCURRENCY = 2
VIDEO_POLL_BUDGET = 3600.0  # SmartPoller timeoutSeconds for videos
IMAGE_POLL_BUDGET = 1800.0
FAILURE_FLOOR = 1.0  # a failure found before generation still takes a round trip upstream


@dataclass
class FifoQueue:
    slots: list[float] = field(default_factory=lambda: [0.0] * CONCURRENCY)

    def admit(self, now: float, run_seconds: float | None) -> float:
        """Seconds the task waits in `queued`; its slot is then busy for `run_seconds` (None: not tracked)."""
        slot = min(range(len(self.slots)), key=lambda i: self.slots[i])
        start = max(now, self.slots[slot])
        if run_seconds is not None:
            self.slots[slot] = start + run_seconds
        return start - now

    def reset(self) -> None:
        self.slots = [0.0] * CONCURRENCY


def generation_time(kind: str, seconds: float = 0.0, heavy: float = 1.0) -> LogNormal:
    """Typical generation times (assumed): images half a minute, compositions longer, videos minutes."""
    if kind == "video":
        median = (40.0 + 10.0 * seconds) * heavy
    else:
        median = (25.0 if kind == "image_generation" else 40.0) * heavy
    return LogNormal(median=median, sigma=0.3, low=median / 3, high=median * 4)


def plan_steps(
    queue: FifoQueue,
    now: float,
    generation: LogNormal,
    failure: TaskFailure | None,
    poll_budget: float,
    overrides: dict[str, Any],
    rng: random.Random,
) -> tuple[list[StepPlan], Outcome]:
    """queued (behind the queue) -> running (generation, or until the failure) -> succeeded | failed."""
    running: Timing = parse_timing(overrides["running"]) if "running" in overrides else generation
    if failure is not None and not isinstance(running, Polls | Forever):
        drawn = running.draw(rng)
        running = Fixed(poll_budget if failure.timeout else max(FAILURE_FLOOR, drawn * failure.at))
    elif not isinstance(running, Polls | Forever):
        running = Fixed(round(running.draw(rng), 3))
    run_seconds = running.seconds if isinstance(running, Fixed) else None
    if "queued" in overrides:
        queued: Timing = parse_timing(overrides["queued"])
        queue.admit(now, run_seconds)
    else:
        queued = Fixed(queue.admit(now, run_seconds))
    steps = [StepPlan("queued", queued, (0, 0)), StepPlan("running", running, (1, 99))]
    if failure is not None:
        return steps, Outcome("failed", error=failure.error())
    return steps, Outcome("succeeded")


def new_task_id(rng: random.Random) -> str:
    """crypto.randomUUID(): a bare UUID, no `task_` prefix (the README's examples are stale)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
