"""Checks of a downloaded result: it downloads before it expires, with the right type, and is what was asked for.

Videos are decoded with PyAV when it is installed (`pip install av`); without it only the duration is
read (from the MP4's movie header) and the result says the dimensions went unchecked.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.conformance.failures import CheckFailure
from mockserver.conformance.registry import check
from mockserver.media.probe import mp4_duration

DURATION_TOLERANCE = 0.5  # seconds: frame counts round a requested duration


@dataclass
class MediaResult:
    url: str  # redacted of its signature for reports
    status: int
    headers: Mapping[str, str]
    content: bytes
    expect: Mapping[str, Any]  # content-type, width, height, duration (any may be absent)
    notes: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def evidence(self) -> str:
        head = self.content[:200].decode("utf-8", "replace") if self.status != 200 else f"{len(self.content)} bytes"
        return f"GET {self.url} -> {self.status} {self.content_type}\n{head}"


@check("media")
def media_downloads(result: MediaResult) -> None:
    if result.status != 200:
        raise CheckFailure(
            "Result URL does not download",
            f"the result URL answered {result.status} before its documented expiry",
            result.evidence(),
        )


@check("media")
def media_content_type(result: MediaResult) -> None:
    expected = result.expect.get("content-type")
    if result.status == 200 and expected and result.content_type != expected:
        raise CheckFailure(
            "Wrong media type", f"the result is {result.content_type or 'untyped'}, not {expected}", result.evidence()
        )


@check("media")
def media_matches_request(result: MediaResult) -> None:
    if result.status != 200:
        return
    seen = describe(result)
    problems = [
        f"{key} {seen[key]} (asked for {want})"
        for key, want in result.expect.items()
        if key in ("width", "height") and key in seen and seen[key] != want
    ]
    duration = result.expect.get("duration")
    if duration is not None and "duration" in seen and abs(seen["duration"] - duration) > DURATION_TOLERANCE:
        problems.append(f"duration {seen['duration']:.2f} s (asked for {duration} s)")
    if problems:
        raise CheckFailure("Result is not what was asked", "; ".join(problems), result.evidence())


def describe(result: MediaResult) -> dict[str, Any]:
    """Width, height (and duration for a video) decoded from the bytes."""
    if result.content_type.startswith("image/"):
        from PIL import Image

        try:
            with Image.open(io.BytesIO(result.content)) as image:
                return {"width": image.width, "height": image.height}
        except OSError as exc:
            raise CheckFailure("Result is not an image", str(exc), result.evidence()) from None
    try:
        import av
    except ImportError:
        result.notes.append("dimensions not checked: install PyAV (pip install av) to decode videos")
        duration = mp4_duration(result.content)
        if duration is None:
            raise CheckFailure("Result is not an MP4", "no movie header in the file", result.evidence()) from None
        return {"duration": duration}
    try:
        container: Any = av.open(io.BytesIO(result.content))
        with container:
            stream = container.streams.video[0]
            frames = len(list(container.decode(stream)))
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            duration = frames / rate if rate else float(container.duration or 0) / 1_000_000
            return {"width": stream.codec_context.width, "height": stream.codec_context.height, "duration": duration}
    except (av.error.FFmpegError, IndexError) as exc:
        raise CheckFailure("Result video does not decode", str(exc), result.evidence()) from None
