"""HTTP Range requests (RFC 9110, section 14) for a body of known length: one range, as CDNs answer."""

from __future__ import annotations

import re

_BYTE_RANGE = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)


class UnsatisfiableRange(Exception):
    pass


_BEYOND_ANY_BODY = 1 << 63


def _position(digits: str) -> int:
    """A byte position as written: past 18 significant digits it lies beyond any body, and is not converted
    (Python refuses to convert more than 4,300 digits)."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= 18 else _BEYOND_ANY_BODY


def parse_range(header: str | None, length: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte range asked for, None for the whole body.

    A header that is not a byte range is ignored (the whole body is sent), as RFC 9110 allows;
    a well-formed range that misses the body raises UnsatisfiableRange (416).
    """
    if not header or not header.startswith("bytes="):
        return None
    match = _BYTE_RANGE.fullmatch(header[len("bytes=") :].split(",")[0].strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if first_text == "":
        if last_text == "":
            return None
        suffix = _position(last_text)
        if suffix == 0 or length == 0:
            raise UnsatisfiableRange(header)
        return max(0, length - suffix), length - 1
    first = _position(first_text)
    last = _position(last_text) if last_text else length - 1
    if last_text and last < first:
        return None
    if first >= length:
        raise UnsatisfiableRange(header)
    return first, min(last, length - 1)
