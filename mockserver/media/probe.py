"""Reading the duration of an uploaded MP4 from its `mvhd` box, without decoding it."""

from __future__ import annotations

import struct


def mp4_duration(data: bytes) -> float | None:
    """Seconds, from the movie header; None when the bytes are not an MP4 the mock can read."""
    at = data.find(b"mvhd")
    if at < 4 or at + 24 > len(data):
        return None
    version = data[at + 4]
    try:
        if version == 1:
            timescale, duration = struct.unpack_from(">IQ", data, at + 4 + 4 + 16)
        else:
            timescale, duration = struct.unpack_from(">II", data, at + 4 + 4 + 8)
    except struct.error:
        return None
    return duration / timescale if timescale else None
