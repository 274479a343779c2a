"""UTC timestamps formatted for ids and headers, per whole second (or day): requests come many to a second, so
each text is formatted once and kept."""

from __future__ import annotations

import time
from functools import lru_cache


def utc_stamp(seconds: float, pattern: str) -> str:
    """`time.strftime(pattern, time.gmtime(seconds))`."""
    return _stamp(int(seconds), pattern)


@lru_cache(maxsize=64)
def _stamp(second: int, pattern: str) -> str:
    return time.strftime(pattern, time.gmtime(second))


def utc_day_path(seconds: float) -> str:
    """`YYYY/MM/DD` of an instant (the day folder of a result path)."""
    return _day(int(seconds) // 86400)


@lru_cache(maxsize=64)
def _day(day: int) -> str:
    return time.strftime("%Y/%m/%d", time.gmtime(day * 86400))
