"""The mock's only source of time.

Every component reads the time through one injected `Clock`; nothing else calls `time.time()`.
`MockClock` is the clock the server runs on: it wraps a base clock (system, scaled or virtual) and
can be advanced, set, frozen or rescaled at run time by the admin API and the Python API.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

DEFAULT_VIRTUAL_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z: a fixed start keeps virtual runs byte-identical


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    """Wall-clock time."""

    mode = "system"

    def now(self) -> float:
        return time.time()


class ScaledClock:
    """Time that runs `1 / scale` times faster than the wall clock: scale 0.05 turns 60 s into 3 s."""

    mode = "scaled"

    def __init__(self, scale: float, start: float | None = None) -> None:
        if not scale > 0:
            raise ValueError("scale must be a positive number")
        self.scale = scale
        self._origin = time.time() if start is None else start
        self._real_origin = time.monotonic()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._real_origin) / self.scale


class VirtualClock:
    """Frozen time that moves only when told to."""

    mode = "virtual"

    def __init__(self, start: float = DEFAULT_VIRTUAL_START) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward: seconds must be >= 0")
        self._now += seconds


class ClockError(ValueError):
    """A clock operation that would break the mock's invariants (time going backwards)."""


class MockClock:
    """The server's clock: a base clock plus an offset, switchable between modes without a jump.

    Time never goes backwards: a task that has reached a terminal state stays there.
    """

    def __init__(self, mode: str = "system", *, time_scale: float = 1.0, start: float | None = None) -> None:
        self._initial = (mode, time_scale, start)
        self._base = self._make_base(mode, time_scale, start)
        self._offset = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def _make_base(mode: str, time_scale: float, start: float | None) -> SystemClock | ScaledClock | VirtualClock:
        if mode == "virtual":
            return VirtualClock(DEFAULT_VIRTUAL_START if start is None else start)
        if mode != "system":
            raise ClockError(f"unknown clock mode {mode!r}: use 'system' or 'virtual'")
        if time_scale == 1.0 and start is None:
            return SystemClock()
        try:
            return ScaledClock(time_scale, start)
        except ValueError as exc:
            raise ClockError(str(exc)) from None

    def reset(self) -> None:
        """Back to the clock the mock started with (part of a full reset, which also drops every task)."""
        with self._lock:
            self._base, self._offset = self._make_base(*self._initial), 0.0

    @property
    def mode(self) -> str:
        return self._base.mode

    @property
    def scale(self) -> float:
        if isinstance(self._base, ScaledClock):
            return self._base.scale
        return 0.0 if isinstance(self._base, VirtualClock) else 1.0

    def now(self) -> float:
        return self._base.now() + self._offset

    def advance(self, seconds: float) -> float:
        if not seconds >= 0:
            raise ClockError("the clock only moves forward: seconds must be >= 0")
        with self._lock:
            self._offset += seconds
            return self.now()

    def set(self, when: float) -> float:
        with self._lock:
            current = self.now()
            if when < current:
                raise ClockError(f"the clock only moves forward: {when} is before now ({current})")
            self._offset += when - current
            return self.now()

    def freeze(self) -> float:
        with self._lock:
            self._base, self._offset = VirtualClock(self.now()), 0.0
            return self.now()

    def run(self, scale: float = 1.0) -> float:
        """Let time flow again from the current instant, `1 / scale` times faster than the wall clock."""
        with self._lock:
            self._base, self._offset = self._make_base("system", scale, self.now()), 0.0
            return self.now()

    def describe(self) -> dict[str, object]:
        return {"now": self.now(), "mode": self.mode, "scale": self.scale}
