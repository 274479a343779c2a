from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.engine.timing import Fixed, LogNormal, Polls, TimingError, Uniform, parse_timing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, Fixed(12.0)),
        (0, Fixed(0.0)),
        (2.5, Fixed(2.5)),
        (0.0, Fixed(0.0)),
        ({"seconds": 3}, Fixed(3.0)),
        ({"seconds": 0.25}, Fixed(0.25)),
        ({"uniform": [5, 9]}, Uniform(5.0, 9.0)),
        ({"uniform": (0, 0)}, Uniform(0.0, 0.0)),
        ({"uniform": ["1.5", "2"]}, Uniform(1.5, 2.0)),
        ({"lognormal": {"median": 60, "sigma": 0.3}}, LogNormal(60.0, 0.3)),
        ({"lognormal": {"median": 60}}, LogNormal(60.0, 0.3, 0.0, math.inf)),
        ({"lognormal": {"median": 10, "sigma": 0}}, LogNormal(10.0, 0.0)),
        ({"lognormal": {"median": 60, "sigma": 1, "low": 5, "high": 90}}, LogNormal(60.0, 1.0, 5.0, 90.0)),
        ({"polls": 1}, Polls(1)),
        ({"polls": 3}, Polls(3)),
    ],
)
def test_parse_timing(value: Any, expected: Any) -> None:
    parsed = parse_timing(value)
    assert parsed == expected
    assert type(parsed) is type(expected)


def test_parse_timing_numbers_become_floats() -> None:
    parsed = parse_timing(7)
    assert isinstance(parsed, Fixed)
    assert isinstance(parsed.seconds, float)


def test_uniform_bounds_become_floats() -> None:
    parsed = parse_timing({"uniform": [1, 2]})
    assert isinstance(parsed, Uniform)
    assert isinstance(parsed.low, float)
    assert isinstance(parsed.high, float)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "cannot be negative"),
        (-0.001, "cannot be negative"),
        (True, "not True"),
        (False, "not False"),
        ({"seconds": -5}, "cannot be negative"),
        ({"seconds": True}, "not True"),
        ({"seconds": "3"}, "unknown timing"),
        ({"seconds": None}, "unknown timing"),
        ({"uniform": [9, 5]}, "0 <= low <= high"),
        ({"uniform": [-1, 5]}, "0 <= low <= high"),
        ({"uniform": [1]}, "bad arguments for 'uniform'"),
        ({"uniform": [1, 2, 3]}, "bad arguments for 'uniform'"),
        ({"uniform": 5}, "bad arguments for 'uniform'"),
        ({"uniform": None}, "bad arguments for 'uniform'"),
        ({"uniform": ["a", 1]}, "bad arguments for 'uniform'"),
        ({"uniform": [math.nan, 1]}, "0 <= low <= high"),
        ({"lognormal": {"median": 0}}, "median > 0"),
        ({"lognormal": {"median": -3}}, "median > 0"),
        ({"lognormal": {"median": 60, "sigma": -0.1}}, "sigma >= 0"),
        ({"lognormal": {"mean": 60}}, "bad arguments for 'lognormal'"),
        ({"lognormal": {}}, "bad arguments for 'lognormal'"),
        ({"lognormal": {"median": "x"}}, "bad arguments for 'lognormal'"),
        ({"polls": 0}, "positive integer"),
        ({"polls": -2}, "positive integer"),
        ({"polls": 1.5}, "positive integer"),
        ({"polls": 2.0}, "positive integer"),
        ({"polls": True}, "positive integer"),
        ({"polls": "3"}, "positive integer"),
        ({"poll": 3}, "unknown timing"),
        ({"fixed": 3}, "unknown timing"),
        ({}, "unknown timing"),
        ({"seconds": 1, "polls": 2}, "unknown timing"),
        ("12", "unknown timing"),
        (None, "unknown timing"),
        ([1, 2], "unknown timing"),
    ],
)
def test_parse_timing_errors(value: Any, message: str) -> None:
    with pytest.raises(TimingError, match=re.escape(message)):
        parse_timing(value)


def test_timing_error_is_value_error() -> None:
    assert issubclass(TimingError, ValueError)


def test_fixed_draw_does_not_consume_randomness() -> None:
    rng = random.Random(1)
    state = rng.getstate()
    assert Fixed(4.5).draw(rng) == 4.5
    assert rng.getstate() == state


def test_uniform_draw_is_deterministic_and_within_bounds() -> None:
    timing = Uniform(5.0, 9.0)
    rng, again = random.Random(3), random.Random(3)
    values = [timing.draw(rng) for _ in range(200)]
    assert values == [timing.draw(again) for _ in range(200)]
    assert all(5.0 <= v <= 9.0 for v in values)
    assert len(set(values)) == 200


def test_uniform_degenerate_range() -> None:
    assert Uniform(2.0, 2.0).draw(random.Random(0)) == 2.0


def test_lognormal_draws_are_deterministic() -> None:
    timing = LogNormal(60.0, 0.3)
    a, b = random.Random(42), random.Random(42)
    assert [timing.draw(a) for _ in range(50)] == [timing.draw(b) for _ in range(50)]


def test_lognormal_centres_on_the_median() -> None:
    rng = random.Random(0)
    values = sorted(LogNormal(60.0, 0.3).draw(rng) for _ in range(2001))
    assert 55.0 < values[1000] < 65.0
    assert min(values) > 0


def test_lognormal_zero_sigma_is_the_median() -> None:
    assert LogNormal(60.0, 0.0).draw(random.Random(5)) == pytest.approx(60.0)


class ExtremeRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def lognormvariate(self, mu: float, sigma: float) -> float:
        return self.value


@pytest.mark.parametrize(("raw", "expected"), [(1000.0, 90.0), (0.5, 5.0), (42.0, 42.0), (90.0, 90.0), (5.0, 5.0)])
def test_lognormal_clamps_to_low_and_high(raw: float, expected: float) -> None:
    assert LogNormal(60.0, 0.3, low=5.0, high=90.0).draw(ExtremeRandom(raw)) == expected


def test_lognormal_passes_log_median_and_sigma() -> None:
    seen: list[tuple[float, float]] = []

    class Recording(random.Random):
        def lognormvariate(self, mu: float, sigma: float) -> float:
            seen.append((mu, sigma))
            return 1.0

    LogNormal(60.0, 0.7).draw(Recording(0))
    [(mu, sigma)] = seen
    assert mu == pytest.approx(math.log(60.0))
    assert sigma == 0.7


def test_lognormal_wide_sigma_stays_clamped() -> None:
    timing = LogNormal(10.0, 3.0, low=8.0, high=12.0)
    rng = random.Random(7)
    values = [timing.draw(rng) for _ in range(500)]
    assert all(8.0 <= v <= 12.0 for v in values)
    assert 8.0 in values
    assert 12.0 in values


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    median=st.floats(0.1, 1000),
    sigma=st.floats(0, 3),
    low=st.floats(0, 50),
    extra=st.floats(0, 50),
)
def test_lognormal_draw_is_reproducible_and_clamped(
    seed: int, median: float, sigma: float, low: float, extra: float
) -> None:
    timing = LogNormal(median, sigma, low, low + extra)
    value = timing.draw(random.Random(seed))
    assert value == timing.draw(random.Random(seed))
    assert low <= value <= low + extra


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), low=st.integers(0, 10_000), extra=st.integers(0, 10_000))
def test_uniform_draw_is_reproducible_and_in_range(seed: int, low: int, extra: int) -> None:
    timing = parse_timing({"uniform": [low, low + extra]})
    assert isinstance(timing, Uniform)
    value = timing.draw(random.Random(seed))
    assert value == timing.draw(random.Random(seed))
    assert low <= value <= low + extra


def test_fixed_timings_are_equal_and_hash_alike_by_value() -> None:
    plans = {Fixed(4.0): "cached"}  # gateways cache their default plans by timing
    assert Fixed(4.0) == Fixed(4.0) and Fixed(4.0) != Fixed(4.5)
    assert plans[Fixed(4.0)] == "cached" and Fixed(4.5) not in plans
