"""The server's task queue and how long its tasks take, free of HTTP.

The queue runs two tasks at once, first in first out (reference A.5). Every step length is drawn (or scripted by
the task's scenario) at submit, so the queue is settled at submit too: a task starts when the earliest of the two
slots frees up, and holds that slot for as long as it runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from mockserver.core.streams import Draws
from mockserver.engine import Fixed, Forever, LogNormal, Polls, StepPlan, parse_timing
from mockserver.engine.timing import Timing
from mockserver.gateways.jimeng2api.models.failures import TaskFailure

CONCURRENCY = 2
VIDEO_POLL_BUDGET = 3600.0  # SmartPoller timeoutSeconds for videos
IMAGE_POLL_BUDGET = 1800.0
FAILURE_FLOOR = 1.0  # a failure found before generation still takes a round trip upstream
RUNNING = (1, 99)
_UNDRAWN = (Polls, Forever)  # a tuple: `Polls | Forever` builds a union at every call


@dataclass
class FifoQueue:
    slots: list[float] = field(default_factory=lambda: [0.0] * CONCURRENCY)

    def admit(self, now: float, run_seconds: float | None) -> float:
        """Seconds the task waits in `queued` (inf: behind stuck tasks); its slot is then busy for `run_seconds`
        (inf: for good; None: not tracked, as for a step that ends on polls)."""
        slots = self.slots
        slot = 0
        for index in range(1, len(slots)):  # the first of the earliest free
            if slots[index] < slots[slot]:
                slot = index
        start = slots[slot] if slots[slot] > now else now
        if run_seconds is not None:
            slots[slot] = start + run_seconds
        return start - now

    def reset(self) -> None:
        self.slots = [0.0] * CONCURRENCY


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
    return StepPlan("queued", Fixed(0.0), (0, 0)), StepPlan("running", generation, RUNNING)


def draft_steps(typical: Steps, overrides: dict[str, Any]) -> list[StepPlan]:
    """The typical steps before any scenario or queue applies, with the settings' timings (a queued timing of 0
    stands for "the queue's")."""
    if not overrides:
        return list(typical)
    running: Timing = parse_timing(overrides["running"]) if "running" in overrides else typical[1].timing
    queued: Timing = parse_timing(overrides["queued"]) if "queued" in overrides else Fixed(0.0)
    return [StepPlan("queued", queued, (0, 0)), StepPlan("running", running, RUNNING)]


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
        end = failure.at_progress or RUNNING[0]
        end = RUNNING[0] if end < RUNNING[0] else RUNNING[1] if end > RUNNING[1] else end
        fraction = (end - RUNNING[0]) / (RUNNING[1] - RUNNING[0])
        if failure.poll_budget:
            running = Fixed(poll_budget)
        elif isinstance(running, Polls):
            running = Polls(max(1, round(running.count * fraction)))
        else:
            seconds = int(running.draw(rng) * fraction * 1000.0 + 0.5) / 1000.0  # round(x, 3), cheaper
            running = Fixed(seconds if seconds > FAILURE_FLOOR else FAILURE_FLOOR)
    elif not isinstance(running, _UNDRAWN):
        running = Fixed(int(running.draw(rng) * 1000.0 + 0.5) / 1000.0)  # round(x, 3), cheaper
    run_seconds = running.seconds if isinstance(running, Fixed) else math.inf if isinstance(running, Forever) else None
    waiting: Timing = queued.timing
    if queue_scripted:
        queue.admit(now, run_seconds)
    else:
        wait = queue.admit(now, run_seconds)
        waiting = Forever() if math.isinf(wait) else Fixed(wait)
    return [StepPlan("queued", waiting, (0, 0)), StepPlan("running", running, (RUNNING[0], end))]


def new_task_id(rng: Draws) -> str:
    """crypto.randomUUID(): a bare UUID, no `task_` prefix (the README's examples are stale)."""
    return uuid4_text(rng.getrandbits(128))


def uuid4_text(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))` without building the UUID: variant and version bits set, then dashed."""
    value = (bits & ~(0xC000 << 48) | 0x8000 << 48) & ~(0xF000 << 64) | 4 << 76
    digits = "%032x" % value  # noqa: UP031  (a fifth cheaper than the f-string spec, on every submit)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
