"""UTC timestamps formatted for ids and headers, cached per second: a request id carries one on every
response, and `time.strftime` costs more than the rest of building the id."""

from __future__ import annotations

import time
from functools import lru_cache

_LAST: dict[str, tuple[int, str]] = {}
"""Per pattern, the last second stamped and its text: requests come many to a second, in order."""


def utc_stamp(seconds: float, pattern: str) -> str:
    """`time.strftime(pattern, time.gmtime(seconds))`, computed once per whole second."""
    second = int(seconds)
    last = _LAST.get(pattern)
    if last is None or last[0] != second:
        last = _LAST[pattern] = (second, _stamp(second, pattern))
    return last[1]


@lru_cache(maxsize=64)
def _stamp(second: int, pattern: str) -> str:
    return time.strftime(pattern, time.gmtime(second))


def utc_day_path(seconds: float) -> str:
    """`YYYY/MM/DD` of an instant (the day folder of a result path), computed once per day."""
    return _day(int(seconds) // 86400)


@lru_cache(maxsize=64)
def _day(day: int) -> str:
    return time.strftime("%Y/%m/%d", time.gmtime(day * 86400))
