from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.core.streams import Stream

keys = st.binary(max_size=80)


@given(keys)
def test_the_same_key_gives_the_same_draws(key: bytes) -> None:
    first, second = Stream(key), Stream(key)
    assert [first.random() for _ in range(20)] == [second.random() for _ in range(20)]
    assert [first.getrandbits(64) for _ in range(20)] == [second.getrandbits(64) for _ in range(20)]


def test_keys_that_differ_give_different_draws() -> None:
    draws = {tuple(Stream(b"task:%d" % n).getrandbits(64) for _ in range(3)) for n in range(1000)}
    assert len(draws) == 1000


@given(keys, st.integers(min_value=1, max_value=40))
def test_uniform_draws_are_in_the_unit_interval_past_many_blocks(key: bytes, blocks: int) -> None:
    stream = Stream(key)
    assert all(0.0 <= stream.random() < 1.0 for _ in range(8 * blocks))


@given(keys, st.integers(min_value=0, max_value=300))
def test_getrandbits_draws_k_bits(key: bytes, k: int) -> None:
    drawn = [Stream(key).getrandbits(k)] + [Stream(key + b"+").getrandbits(k) for _ in range(3)]
    assert all(0 <= number < 2**k for number in drawn)


@given(keys)
def test_a_wide_draw_is_the_next_words_in_order(key: bytes) -> None:
    stream, twin = Stream(key), Stream(key)
    for _ in range(6):  # across a block boundary
        high, low = twin.getrandbits(64), twin.getrandbits(64)
        assert stream.getrandbits(128) == high << 64 | low
    high, middle, low = (twin.getrandbits(64) for _ in range(3))
    assert stream.getrandbits(150) == (high << 128 | middle << 64 | low) >> 42


def test_no_bits_is_zero_and_negative_bits_are_refused() -> None:
    assert Stream(b"k").getrandbits(0) == 0
    with pytest.raises(ValueError):
        Stream(b"k").getrandbits(-1)


def test_uniform_draws_fill_the_interval_evenly() -> None:
    stream = Stream(b"evenly")
    counts = [0] * 10
    for _ in range(100_000):
        counts[int(stream.random() * 10)] += 1
    assert all(9_700 < count < 10_300 for count in counts), counts


def test_bit_draws_are_even_in_every_position() -> None:
    stream = Stream(b"bits")
    ones = [0] * 64
    for _ in range(20_000):
        word = stream.getrandbits(64)
        for bit in range(64):
            ones[bit] += word >> bit & 1
    assert all(9_700 < count < 10_300 for count in ones), ones


@given(keys, st.floats(min_value=-5, max_value=5), st.floats(min_value=0.5, max_value=10))
def test_uniform_is_between_its_bounds(key: bytes, low: float, width: float) -> None:
    stream = Stream(key)
    assert all(low <= stream.uniform(low, low + width) <= low + width for _ in range(20))


def test_lognormal_draws_have_the_asked_log_mean_and_spread() -> None:
    stream = Stream(b"lognormal")
    logs = [math.log(stream.lognormvariate(math.log(60.0), 0.3)) for _ in range(40_000)]
    assert statistics.fmean(logs) == pytest.approx(math.log(60.0), abs=0.01)
    assert statistics.pstdev(logs) == pytest.approx(0.3, abs=0.01)
    assert sum(abs(value - math.log(60.0)) < 0.3 for value in logs) / len(logs) == pytest.approx(0.6827, abs=0.01)
