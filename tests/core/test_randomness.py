from __future__ import annotations

import hashlib
import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.core.randomness import RandomSource, draw_between


def draws(source: RandomSource, name: str, count: int = 5) -> list[float]:
    rng = source.stream(name)
    return [rng.random() for _ in range(count)]


def test_stream_is_fixed_by_seed_and_name() -> None:
    assert draws(RandomSource(7), "task:1") == draws(RandomSource(7), "task:1")


def test_stream_repeats_on_every_call() -> None:
    source = RandomSource(7)
    assert draws(source, "media") == draws(source, "media")


def test_stream_differs_by_name() -> None:
    source = RandomSource(7)
    assert draws(source, "task:1") != draws(source, "task:2")


def test_stream_differs_by_seed() -> None:
    assert draws(RandomSource(7), "task:1") != draws(RandomSource(8), "task:1")


def test_stream_does_not_depend_on_other_streams() -> None:
    busy = RandomSource(3)
    for name in ("a", "b", "c"):
        draws(busy, name, 100)
    busy.next_stream("task")
    assert draws(busy, "x") == draws(RandomSource(3), "x")


def test_seed_is_kept() -> None:
    assert RandomSource(1234).seed == 1234


def test_next_stream_numbers_from_one_and_matches_named_stream() -> None:
    source = RandomSource(5)
    number, rng = source.next_stream("task")
    assert number == 1
    assert [rng.random() for _ in range(3)] == draws(RandomSource(5), "task:1", 3)
    number, rng = source.next_stream("task")
    assert number == 2
    assert [rng.random() for _ in range(3)] == draws(RandomSource(5), "task:2", 3)


def test_next_stream_numbering_is_independent_per_family() -> None:
    source = RandomSource(0)
    assert source.next_stream("task:crazyrouter")[0] == 1
    assert source.next_stream("task:crazyrouter")[0] == 2
    assert source.next_stream("task:other")[0] == 1
    assert source.next_stream("task:crazyrouter")[0] == 3
    assert source.next_stream("task:other")[0] == 2


def test_next_number_shares_counters_with_next_stream() -> None:
    source = RandomSource(0)
    assert source.next_number("job") == 1
    assert source.next_stream("job")[0] == 2
    assert source.next_number("job") == 3


def test_token_is_deterministic() -> None:
    assert RandomSource(9).token("abc") == RandomSource(9).token("abc")


def test_token_default_length_is_eight_hex_digits() -> None:
    token = RandomSource(9).token("abc")
    assert len(token) == 8
    assert set(token) <= set(string.hexdigits.lower())


@pytest.mark.parametrize("length", [1, 2, 7, 8, 15, 16, 32, 64])
def test_token_length(length: int) -> None:
    token = RandomSource(9).token("abc", length)
    assert len(token) == length
    assert set(token) <= set("0123456789abcdef")


def test_token_differs_by_name_and_seed() -> None:
    base = RandomSource(9).token("abc", 16)
    assert RandomSource(9).token("abd", 16) != base
    assert RandomSource(10).token("abc", 16) != base


def test_token_odd_length_is_a_prefix_of_the_next_even_length() -> None:
    # both draw the same number of bytes, so the shorter one is the longer one cut
    source = RandomSource(1)
    assert source.token("n", 7) == source.token("n", 8)[:7]


def test_token_does_not_touch_counters() -> None:
    source = RandomSource(1)
    source.token("task")
    assert source.next_stream("task")[0] == 1


def test_reset_restarts_numbering_in_every_family() -> None:
    source = RandomSource(11)
    first = [source.next_stream("a")[1].random(), source.next_stream("a")[1].random()]
    source.next_stream("b")
    source.reset()
    number, rng = source.next_stream("a")
    assert number == 1
    assert rng.random() == first[0]
    assert source.next_stream("a")[0] == 2
    assert source.next_stream("b")[0] == 1


def test_reset_keeps_the_seed() -> None:
    source = RandomSource(11)
    before = draws(source, "s")
    source.reset()
    assert source.seed == 11
    assert draws(source, "s") == before


@given(st.integers(0, 2**32), st.text(max_size=30), st.integers(1, 40))
def test_a_token_is_the_blake2b_of_seed_and_name(seed: int, name: str, length: int) -> None:
    expected = hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=(length + 1) // 2).hexdigest()[:length]
    assert RandomSource(seed).token(name, length) == expected


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from([1, 8, 16, 20]))
def test_a_numbered_token_depends_on_seed_family_and_number_only(number: int, length: int) -> None:
    warmed = RandomSource(3)
    for earlier in (1, number - 1, number + 500):
        warmed.numbered_token("request-id", max(1, earlier), length)
    token = warmed.numbered_token("request-id", number, length)
    assert token == RandomSource(3).numbered_token("request-id", number, length)
    assert len(token) == length and set(token) <= set("0123456789abcdef")
    assert token != RandomSource(4).numbered_token("request-id", number, 16)[:length] or length == 1


def test_numbered_tokens_differ_by_number_and_family() -> None:
    source = RandomSource(3)
    tokens = {source.numbered_token("request-id", number) for number in range(1, 1001)}
    assert len(tokens) == 1000
    assert source.numbered_token("other", 7) != source.numbered_token("request-id", 7)


@given(st.integers(min_value=0, max_value=2**64), st.integers(min_value=0, max_value=2**70), st.integers(1, 2**70))
def test_draw_between_is_randrange_drawn_the_same_way(seed: int, low: int, width: int) -> None:
    """Task ids are drawn without randrange's own calls: a seed must still give the numbers it always gave."""
    mine, theirs = random.Random(seed), random.Random(seed)
    assert [draw_between(mine, low, low + width) for _ in range(3)] == [
        theirs.randrange(low, low + width) for _ in range(3)
    ]
