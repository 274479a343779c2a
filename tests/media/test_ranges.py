from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.media.ranges import UnsatisfiableRange, parse_range

LENGTH = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=0-0", (0, 0)),
        ("bytes=999-999", (999, 999)),
        ("bytes=100-", (100, 999)),
        ("bytes=0-", (0, 999)),
        ("bytes=999-", (999, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-1", (999, 999)),
        ("bytes=-1000", (0, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=500-999", (500, 999)),
        ("bytes=500-1000", (500, 999)),
        ("bytes=0-123456789", (0, 999)),
        ("bytes= 10-20 ", (10, 20)),
        ("bytes=007-010", (7, 10)),
    ],
)
def test_single_ranges(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, LENGTH) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9,20-29", (0, 9)),
        ("bytes=20-29, 0-9", (20, 29)),
        ("bytes=-10,0-9", (990, 999)),
        ("bytes=900-,0-0", (900, 999)),
    ],
)
def test_multi_range_uses_the_first(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, LENGTH) == expected


def test_multi_range_with_an_unsatisfiable_first_range_raises() -> None:
    with pytest.raises(UnsatisfiableRange):
        parse_range("bytes=5000-6000,0-9", LENGTH)


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=5000-", "bytes=1000-1000"])
def test_first_at_or_beyond_length_is_unsatisfiable(header: str) -> None:
    with pytest.raises(UnsatisfiableRange) as caught:
        parse_range(header, LENGTH)
    assert caught.value.args == (header,)


@pytest.mark.parametrize("header", ["bytes=-0", "bytes=-000"])
def test_empty_suffix_is_unsatisfiable(header: str) -> None:
    with pytest.raises(UnsatisfiableRange):
        parse_range(header, LENGTH)


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=-5", "bytes=0-0"])
def test_any_range_of_an_empty_body_is_unsatisfiable(header: str) -> None:
    with pytest.raises(UnsatisfiableRange):
        parse_range(header, 0)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes=",
        "bytes=-",
        "bytes=abc",
        "bytes=1-a",
        "bytes=a-1",
        "bytes=5",
        "bytes=1.5-2",
        "bytes=+1-2",
        "bytes=-1-2",
        "bytes=10-5",
        "bytes 0-99",
        "items=0-99",
        "Bytes=0-99",
        "0-99",
        "garbage",
        "bytes=,0-9",
    ],
)
def test_garbage_and_other_units_are_ignored(header: str | None) -> None:
    assert parse_range(header, LENGTH) is None


@settings(max_examples=100, deadline=None)
@given(data=st.data(), length=st.integers(1, 2**50))
def test_any_valid_range_is_returned_as_is(data: st.DataObject, length: int) -> None:
    first = data.draw(st.integers(0, length - 1), label="first")
    last = data.draw(st.integers(first, length - 1), label="last")
    assert parse_range(f"bytes={first}-{last}", length) == (first, last)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), length=st.integers(1, 2**50))
def test_open_and_overlong_ranges_end_at_the_last_byte(data: st.DataObject, length: int) -> None:
    first = data.draw(st.integers(0, length - 1), label="first")
    beyond = data.draw(st.integers(length - 1, 2**60), label="beyond")
    assert parse_range(f"bytes={first}-", length) == (first, length - 1)
    assert parse_range(f"bytes={first}-{beyond}", length) == (first, length - 1)


@settings(max_examples=100, deadline=None)
@given(length=st.integers(1, 2**50), suffix=st.integers(1, 2**51))
def test_suffix_ranges_cover_the_tail(length: int, suffix: int) -> None:
    first, last = parse_range(f"bytes=-{suffix}", length) or (-1, -1)
    assert last == length - 1
    assert last - first + 1 == min(suffix, length)


def test_positions_of_more_digits_than_python_converts_are_read_as_beyond_the_body() -> None:
    huge = "9" * 5000
    with pytest.raises(UnsatisfiableRange):
        parse_range(f"bytes={huge}-", 100)
    assert parse_range(f"bytes=10-{huge}", 100) == (10, 99)
    assert parse_range(f"bytes=-{huge}", 100) == (0, 99)
    assert parse_range(f"bytes={'0' * 5000}7-8", 100) == (7, 8)
