"""The server's task queue and how long its tasks take, free of HTTP.

The queue runs two tasks at once, first in first out (reference A.5). Every step length is drawn (or scripted by
the task's scenario) at submit, so the queue is settled at submit too: a task starts when the earliest of the two
slots frees up, and holds that slot for as long as it runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from mockserver.core.randomness import random_uuid
from mockserver.core.streams import Draws
from mockserver.engine import Fixed, Forever, LogNormal, Polls, StepPlan
from mockserver.engine.timing import Timing
from mockserver.gateways.families.queues import FifoQueue
from mockserver.gateways.jimeng2api.models.failures import TaskFailure

CONCURRENCY = 2
VIDEO_POLL_BUDGET = 3600.0  # SmartPoller timeoutSeconds for videos
IMAGE_POLL_BUDGET = 1800.0
FAILURE_FLOOR = 1.0  # a failure found before generation still takes a round trip upstream
RUNNING = (1, 99)


Steps = tuple[StepPlan, StepPlan]


@lru_cache(maxsize=128)
def generation_steps(kind: str, seconds: float = 0.0, heavy: float = 1.0) -> Steps:
    """queued -> running with typical generation times (assumed): images half a minute, compositions longer,
    videos minutes. Built once per kind, length and weight."""
    if kind == "video":
        median = (40.0 + 10.0 * seconds) * heavy
    else:
        median = (25.0 if kind == "image_generation" else 40.0) * heavy
    generation = LogNormal(median=median, sigma=0.3, low=median / 3, high=median * 4)
    return (
        StepPlan(state="queued", timing=Fixed(seconds=0.0), progress=(0, 0)),
        StepPlan(state="running", timing=generation, progress=RUNNING),
    )


def settle(
    queue: FifoQueue,
    now: float,
    steps: Sequence[StepPlan],
    failure: TaskFailure | None,
    poll_budget: float,
    queue_scripted: bool,
    rng: Draws,
) -> list[StepPlan]:
    """The task's final steps: running drawn (cut where a failure stops it), then the wait behind the queue
    unless the queued step is scripted (settings or scenario), which still takes its slot when it runs."""
    queued = steps[0]
    if isinstance(queued.timing, Forever):
        return [queued]  # never runs, so takes no slot
    running, end = steps[1].timing, RUNNING[1]
    if failure is not None and not isinstance(running, Forever):
        end = min(max(failure.at_progress or RUNNING[0], RUNNING[0]), RUNNING[1])
        fraction = (end - RUNNING[0]) / (RUNNING[1] - RUNNING[0])
        if failure.poll_budget:
            running = Fixed(seconds=poll_budget)
        elif isinstance(running, Polls):
            running = Polls(count=max(1, round(running.count * fraction)))
        else:
            running = Fixed(seconds=max(round(running.draw(rng) * fraction, 3), FAILURE_FLOOR))
    elif not isinstance(running, (Polls, Forever)):
        running = Fixed(seconds=round(running.draw(rng), 3))
    run_seconds = running.seconds if isinstance(running, Fixed) else math.inf if isinstance(running, Forever) else None
    waiting: Timing = queued.timing
    if queue_scripted:
        queue.admit(now, run_seconds)
    else:
        wait = queue.admit(now, run_seconds)
        waiting = Forever() if math.isinf(wait) else Fixed(seconds=wait)
    return [
        StepPlan(state="queued", timing=waiting, progress=(0, 0)),
        StepPlan(state="running", timing=running, progress=(RUNNING[0], end)),
    ]


def new_task_id(rng: Draws) -> str:
    """crypto.randomUUID(): a bare UUID, no `task_` prefix (the README's examples are stale)."""
    return random_uuid(rng)
