"""The mock's only source of time.

Every component reads the time through one injected `Clock`; nothing else calls `time.time()`.
`MockClock` is the clock the server runs on: it wraps a base clock (system, scaled or virtual) and
can be advanced, set, frozen or rescaled at run time by the admin API and the Python API.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from typing import Protocol

from mockserver.core.unavailable import StoreUnavailable

DEFAULT_VIRTUAL_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z: a fixed start keeps virtual runs byte-identical


def stopwatch() -> Callable[[], float]:
    """A timer of the mock's own work, in wall seconds (not the mock's clock): call what it returns for the seconds
    since it started."""
    started = time.perf_counter()
    return lambda: time.perf_counter() - started


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
    """A clock operation that would break the mock's invariants (time going backwards, or out of its bounds)."""


@dataclass(frozen=True)
class ClockBounds:
    """Where the clock may go: the instants (unix time) it stays between and the scales it may run at. Without
    bounds a clock still refuses what is not a finite number."""

    earliest: float = -math.inf
    latest: float = math.inf
    min_scale: float = 0.0
    max_scale: float = math.inf

    def check_scale(self, scale: float) -> None:
        if not (math.isfinite(scale) and scale > 0):
            raise ClockError(f"scale must be a positive number, not {scale!r}")
        if not self.min_scale <= scale <= self.max_scale:
            raise ClockError(f"scale must be from {self.min_scale:g} to {self.max_scale:g}, not {scale!r}")

    def check_instant(self, when: float) -> None:
        if not (math.isfinite(when) and self.earliest <= when <= self.latest):
            raise ClockError(
                f"the clock must stay between {self.earliest:.0f} and {self.latest:.0f} (unix time), not {when!r}"
            )

    def problem(self, state: ClockState, now: float) -> str | None:
        """Why `state` (read `now`) is outside these bounds, or None."""
        try:
            if not all(map(math.isfinite, (state.start, state.scale, state.anchor, state.offset))):
                raise ClockError("a field is not a finite number")
            if state.mode == "scaled":
                self.check_scale(state.scale)
            self.check_instant(now)
        except ClockError as exc:
            return str(exc)
        return None


class SharedClockState(Protocol):
    """Where a clock shared by several processes keeps its state (a store): one JSON text, swapped atomically."""

    def load_clock(self) -> str | None: ...

    def swap_clock(self, expected: str | None, new: str) -> bool:
        """Store `new` if the stored text is still `expected` (None: nothing stored yet); False otherwise."""


@dataclass(frozen=True)
class ClockState:
    """What a `MockClock` is, as data: a mode, where it started, its scale and the offset added to it.

    `anchor` is the timer's reading at `start` (scaled mode): the monotonic timer in one process, the wall
    clock when the state is shared by several processes, which have no common monotonic timer.
    """

    mode: str  # system | scaled | virtual
    start: float = 0.0
    scale: float = 1.0
    anchor: float = 0.0
    offset: float = 0.0

    def now(self, shared: bool) -> float:
        if self.mode == "virtual":
            return self.start + self.offset
        if self.mode == "system":
            return time.time() + self.offset
        timer = time.time() if shared else time.monotonic()
        return self.start + (timer - self.anchor) / self.scale + self.offset

    def encode(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> ClockState:
        return cls(**json.loads(text))

    @classmethod
    def read(cls, text: str) -> ClockState | None:
        """A stored state, or None when the text is not one (a damaged store)."""
        try:
            state = cls.decode(text)
        except (ValueError, TypeError):
            return None
        if state.mode not in ("system", "scaled", "virtual"):
            return None
        return state


class _Pin:
    """One request's reading of a shared clock: empty until the request first needs the time, or until a store's
    round trip made for the request brings the clock state with it (`offer_clock`)."""

    __slots__ = ("clock", "state")

    def __init__(self, clock: MockClock) -> None:
        self.clock = clock
        self.state: ClockState | None = None


_PINNED: ContextVar[_Pin | None] = ContextVar("jimeng_mock_pinned_clock", default=None)


def clock_wanted() -> bool:
    """Whether the request being served has not read the shared clock yet (a store that reads the clock cheaply
    beside a command offers it only then)."""
    pin = _PINNED.get()
    return pin is not None and pin.state is None


def offer_clock(text: str | None) -> None:
    """A store hands over the clock state it read in the same round trip as the request's own command: the request
    pins it, unless it has already read the time."""
    pin = _PINNED.get()
    if pin is not None and pin.state is None and text is not None:
        pin.state = pin.clock.decoded(text)


_SWAP_ATTEMPTS = 100
log = logging.getLogger("jimeng_mock")


class MockClock:
    """The server's clock: a base clock plus an offset, switchable between modes without a jump.

    Time never goes backwards: a task that has reached a terminal state stays there. With `shared`, the state
    lives in a store, so advancing the clock in one process advances it in every process using that store.
    """

    def __init__(
        self,
        mode: str = "system",
        *,
        time_scale: float = 1.0,
        start: float | None = None,
        shared: SharedClockState | None = None,
        bounds: ClockBounds | None = None,
    ) -> None:
        self._initial = (mode, time_scale, start)
        self._shared = shared
        self.bounds = bounds or ClockBounds()
        self._lock = threading.Lock()
        self.listeners: list[Callable[[], object]] = []
        """Called, in the caller's thread, after `advance` or `set` has moved the clock (the callbacks that became
        due are sent then)."""
        self._state = self._initial_state()
        self._decoded: tuple[str, ClockState] | None = None
        """The last stored text read, decoded: the state changes rarely, so it is decoded once per change."""
        if shared is not None:
            self._join(shared)

    def _join(self, shared: SharedClockState) -> None:
        """The first process to start sets the shared clock; a restart or a later worker keeps it, unless what is
        stored is not a clock within the bounds (a damaged store, older limits): that is reported and reset."""
        text = shared.load_clock()
        if text is None:
            shared.swap_clock(None, self._state.encode())
            return
        stored = ClockState.read(text)
        problem = "it is not a clock state" if stored is None else self.bounds.problem(stored, stored.now(True))
        if problem is not None:
            log.warning("jimeng-mock: the stored clock %s is reset to the start clock: %s", text[:200], problem)
            shared.swap_clock(text, self._state.encode())

    def _initial_state(self) -> ClockState:
        mode, time_scale, start = self._initial
        if mode == "virtual":
            return ClockState("virtual", DEFAULT_VIRTUAL_START if start is None else start)
        if mode != "system":
            raise ClockError(f"unknown clock mode {mode!r}: use 'system' or 'virtual'")
        if time_scale == 1.0 and start is None:
            return ClockState("system")
        return self._scaled(time_scale, time.time() if start is None else start)

    def _scaled(self, scale: float, start: float) -> ClockState:
        self.bounds.check_scale(scale)
        anchor = time.time() if self._shared is not None else time.monotonic()
        return ClockState("scaled", start, scale, anchor)

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def state(self) -> ClockState:
        """The current state: read from the store when shared (once per request inside `pinned`)."""
        if self._shared is None:
            return self._state
        pin = _PINNED.get()
        if pin is not None and pin.clock is self:
            if pin.state is None:
                pin.state = self._load()
            return pin.state
        return self._load()

    def _load(self) -> ClockState:
        assert self._shared is not None
        try:
            text = self._shared.load_clock()
        except StoreUnavailable:  # the request is answered 503: with the last state read, as good as any
            known = self._decoded
            return self._state if known is None else known[1]
        return self._state if text is None else self.decoded(text)

    def decoded(self, text: str) -> ClockState:
        """The state a stored text holds (decoded once while it stays the same)."""
        known = self._decoded
        if known is not None and known[0] == text:
            return known[1]
        state = ClockState.decode(text)
        self._decoded = (text, state)
        return state

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Read a shared clock's state at most once for a whole request (time still flows within it): when the
        request first needs it, or from the first store round trip that brings it along (`offer_clock`)."""
        if self._shared is None:
            yield
            return
        token = _PINNED.set(_Pin(self))
        try:
            yield
        finally:
            _PINNED.reset(token)

    def _change(self, change: Callable[[ClockState, float], ClockState]) -> float:
        if self._shared is None:
            with self._lock:
                new = change(self._state, self._state.now(False))
                self.bounds.check_instant(new.now(False))
                self._state = new
                return new.now(False)
        for _ in range(_SWAP_ATTEMPTS):
            text = self._shared.load_clock()
            current = self._state if text is None else self.decoded(text)
            new = change(current, current.now(True))
            self.bounds.check_instant(new.now(True))
            if self._shared.swap_clock(text, new.encode()):
                if (pin := _PINNED.get()) is not None and pin.clock is self:
                    pin.state = new
                return new.now(True)
        raise ClockError("the shared clock kept changing under this change; try again")

    def reset(self) -> None:
        """Back to the clock the mock started with (part of a full reset, which also drops every task)."""
        self._change(lambda state, now: self._initial_state())

    @property
    def mode(self) -> str:
        return self.state().mode

    @property
    def scale(self) -> float:
        state = self.state()
        if state.mode == "scaled":
            return state.scale
        return 0.0 if state.mode == "virtual" else 1.0

    def now(self) -> float:
        if self._shared is None:
            return self._state.now(False)
        return self.state().now(True)

    def advance(self, seconds: float) -> float:
        if not seconds >= 0:
            raise ClockError("the clock only moves forward: seconds must be >= 0")
        if not math.isfinite(seconds):
            raise ClockError("seconds must be a finite number")
        return self._moved(self._change(lambda state, now: replace(state, offset=state.offset + seconds)))

    def _moved(self, now: float) -> float:
        for listener in list(self.listeners):
            listener()
        return now

    def set(self, when: float) -> float:
        self.bounds.check_instant(when)

        def move(state: ClockState, now: float) -> ClockState:
            if when < now:
                raise ClockError(f"the clock only moves forward: {when} is before now ({now})")
            return replace(state, offset=state.offset + when - now)

        return self._moved(self._change(move))

    def freeze(self) -> float:
        return self._change(lambda state, now: ClockState("virtual", now))

    def run(self, scale: float = 1.0) -> float:
        """Let time flow again from the current instant, `1 / scale` times faster than the wall clock."""
        return self._change(lambda state, now: self._scaled(scale, now))

    def describe(self) -> dict[str, object]:
        state = self.state()
        scale = {"scaled": state.scale, "virtual": 0.0}.get(state.mode, 1.0)
        return {"now": state.now(self._shared is not None), "mode": state.mode, "scale": scale}
