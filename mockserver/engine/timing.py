"""How long a lifecycle step lasts: a fixed time, a distribution drawn from the seeded source, or a poll count."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.streams import Draws


@dataclass(frozen=True, slots=True)
class Fixed:
    seconds: float

    def draw(self, rng: Draws) -> float:
        return self.seconds


@dataclass(frozen=True, slots=True)
class Uniform:
    low: float
    high: float

    def draw(self, rng: Draws) -> float:
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Right-skewed durations, as real generation queues have: most near the median, a long tail."""

    median: float
    sigma: float = 0.3
    low: float = 0.0
    high: float = math.inf
    mu: float = field(init=False, repr=False, compare=False)
    """log(median): the normal draw's mean, taken once (a median of 0 or less is refused by `parse_timing`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", math.log(self.median) if self.median > 0 else -math.inf)

    def draw(self, rng: Draws) -> float:
        drawn = rng.lognormvariate(self.mu, self.sigma)
        return min(max(drawn, self.low), self.high)


@dataclass(frozen=True, slots=True)
class Polls:
    """The step lasts until the task has been polled `count` more times."""

    count: int


@dataclass(frozen=True, slots=True)
class Forever:
    """The step never ends: a task stuck in queue or in generation."""


Duration = Fixed | Uniform | LogNormal
Timing = Fixed | Uniform | LogNormal | Polls | Forever


class TimingError(ValueError):
    pass


def parse_timing(value: Any) -> Timing:
    """Read a timing from configuration.

    Accepted: `12`, `{seconds: 12}`, `{uniform: [5, 9]}`, `{lognormal: {median: 60, sigma: 0.3}}`, `{polls: 3}`,
    `{forever: true}`.
    """
    if isinstance(value, bool):
        raise TimingError(f"a timing must be a number of seconds or a mapping, not {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise TimingError("a duration cannot be negative")
        return Fixed(seconds=float(value))
    if isinstance(value, dict) and len(value) == 1:
        ((kind, arg),) = value.items()
        try:
            if kind == "seconds":
                return parse_timing(arg)
            if kind == "uniform":
                low, high = (float(x) for x in arg)
                if not 0 <= low <= high:
                    raise TimingError("uniform needs 0 <= low <= high")
                return Uniform(low=low, high=high)
            if kind == "lognormal":
                if not isinstance(arg, dict):
                    raise TimingError("lognormal takes a mapping: {median: seconds, sigma: spread}")
                timing = LogNormal(**{k: float(v) for k, v in arg.items()})
                if timing.median <= 0 or timing.sigma < 0:
                    raise TimingError("lognormal needs median > 0 and sigma >= 0")
                return timing
            if kind == "forever":
                if arg is not True:
                    raise TimingError("write `forever: true` for a step that never ends")
                return Forever()
            if kind == "polls":
                if not isinstance(arg, int) or isinstance(arg, bool) or arg < 1:
                    raise TimingError("polls must be a positive integer")
                return Polls(count=arg)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, TimingError):
                raise
            raise TimingError(f"bad arguments for {kind!r}: {arg!r}") from None
    raise TimingError(f"unknown timing {value!r}: use seconds, uniform, lognormal, polls or forever")
