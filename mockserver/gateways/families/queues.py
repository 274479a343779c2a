"""The first-in-first-out generation slots ByteDance's upstreams hold a caller to: a few tasks generate at once, the
next waits for the earliest slot to free up (jimeng's web upstream behind jimeng2api, reference A.5; Volcengine
Visual per access key). Step lengths are drawn at submit, so a task's wait is settled at submit too."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class FifoQueue:
    slots: list[float]
    """When each slot is free again, on the clock."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Submits settle in a shared store's thread (`TaskEngine.asubmit`), while the event loop may settle others."""

    @classmethod
    def of(cls, concurrency: int) -> FifoQueue:
        return cls([0.0] * concurrency)

    def admit(self, now: float, run_seconds: float | None) -> float:
        """Seconds the task waits in the queue (inf: behind stuck tasks); its slot is then busy for `run_seconds`
        (inf: for good; None: not tracked, as for a step that ends on polls)."""
        with self._lock:
            slot = self.slots.index(min(self.slots))  # the first of the earliest free
            start = max(self.slots[slot], now)
            if run_seconds is not None:
                self.slots[slot] = start + run_seconds
        return start - now

    def reset(self) -> None:
        self.slots = [0.0] * len(self.slots)
