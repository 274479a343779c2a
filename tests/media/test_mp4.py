"""The solid-colour MP4 renderer, checked by decoding its output with FFmpeg (PyAV)."""

from __future__ import annotations

import io
import math
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import av.logging
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.media.h264 import StreamLayout, nal_unit, se, select_level, ue
from mockserver.media.mp4 import render_mp4, rgb_to_ycbcr

# Per-channel RGB error allowed after the limited-range YCbCr round trip.
TOLERANCE = 4
COLOUR = (200, 40, 90)


@dataclass
class Decoded:
    width: int
    height: int
    average_rate: Fraction
    declared_frames: int
    stream_duration: Fraction
    container_duration: Fraction
    profile: str
    pixels: list[list[tuple[int, int, int]]]  # per frame: centre and the four corners
    logs: list[tuple[int, str, str]]


def _sample_points(width: int, height: int) -> list[tuple[int, int]]:
    return [(width // 2, height // 2), (0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]


def _frame_pixels(frame: av.VideoFrame) -> list[tuple[int, int, int]]:
    plane = frame.reformat(format="rgb24").planes[0]
    data = bytes(plane)
    points = _sample_points(frame.width, frame.height)
    return [(data[i], data[i + 1], data[i + 2]) for i in (y * plane.line_size + 3 * x for x, y in points)]


def decode(data: bytes) -> Decoded:
    """Open and fully decode `data`, collecting FFmpeg warnings and errors."""
    av.logging.set_level(av.logging.WARNING)
    try:
        with av.logging.Capture() as logs, av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            assert stream.duration is not None and stream.time_base is not None
            assert stream.average_rate is not None and container.duration is not None
            pixels = [_frame_pixels(frame) for frame in container.decode(stream)]
            return Decoded(
                width=stream.width,
                height=stream.height,
                average_rate=Fraction(stream.average_rate),
                declared_frames=stream.frames,
                stream_duration=stream.duration * stream.time_base,
                container_duration=Fraction(container.duration, av.time_base),
                profile=str(stream.codec_context.profile),
                pixels=pixels,
                logs=list(logs),
            )
    finally:
        av.logging.set_level(None)


def assert_video(
    data: bytes, width: int, height: int, fps: int, frames: int, rgb: tuple[int, int, int] = COLOUR
) -> None:
    decoded = decode(data)
    assert decoded.logs == []
    assert (decoded.width, decoded.height) == (width, height)
    assert decoded.average_rate == fps
    assert decoded.declared_frames == frames
    assert len(decoded.pixels) == frames
    assert decoded.stream_duration == Fraction(frames, fps)
    assert math.isclose(decoded.container_duration, Fraction(frames, fps), abs_tol=1e-6)
    assert decoded.profile == "Constrained Baseline"
    for frame_pixels in decoded.pixels:
        for pixel in frame_pixels:
            assert all(abs(got - want) <= TOLERANCE for got, want in zip(pixel, rgb, strict=True)), pixel


@pytest.mark.parametrize(
    ("width", "height", "fps", "duration"),
    [
        (1920, 1080, 24, 10),
        (1080, 1920, 24, 5),
        (1280, 720, 30, 5),
        (720, 1280, 30, 10),
        (1080, 1080, 24, 5),
        (1664, 1248, 30, 1 / 24),
        (1000, 562, 24, 5),
        (16, 16, 24, 1 / 24),
        (18, 34, 30, 1),
    ],
)
def test_decodes_to_requested_video(width: int, height: int, fps: int, duration: float) -> None:
    data = render_mp4(width, height, fps, duration, COLOUR)
    assert_video(data, width, height, fps, round(duration * fps))


@pytest.mark.parametrize("rgb", [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (17, 130, 250)])
def test_colours(rgb: tuple[int, int, int]) -> None:
    assert_video(render_mp4(64, 48, 25, 0.2, rgb), 64, 48, 25, 5, rgb)


def test_frame_num_wraps_without_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    # With MaxFrameNum = 16, frame_num wraps modulo 16 (7.4.3) several times.
    monkeypatch.setattr(StreamLayout, "log2_max_frame_num", property(lambda _: 4))
    assert_video(render_mp4(32, 32, 25, 2, COLOUR), 32, 32, 25, 50)


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(8, 80).map(lambda n: 2 * n),
    height=st.integers(8, 80).map(lambda n: 2 * n),
    fps=st.sampled_from([24, 25, 30]),
    frames=st.integers(1, 30),
    rgb=st.tuples(*[st.integers(0, 255)] * 3),
)
def test_any_small_video_decodes(width: int, height: int, fps: int, frames: int, rgb: tuple[int, int, int]) -> None:
    assert_video(render_mp4(width, height, fps, frames / fps, rgb), width, height, fps, frames, rgb)


def test_deterministic() -> None:
    assert render_mp4(640, 360, 24, 2, COLOUR) == render_mp4(640, 360, 24, 2, COLOUR)


def test_colours_differ() -> None:
    assert render_mp4(640, 360, 24, 2, COLOUR) != render_mp4(640, 360, 24, 2, (0, 0, 0))


def test_1080p_is_small_and_fast() -> None:
    started = time.perf_counter()
    data = render_mp4(1920, 1080, 24, 10, COLOUR)
    elapsed = time.perf_counter() - started
    assert len(data) < 100_000
    assert elapsed < 0.5  # typically a few milliseconds; generous for slow machines


@pytest.mark.parametrize(
    ("width", "height", "fps", "duration", "rgb"),
    [
        (1921, 1080, 24, 1, COLOUR),
        (1920, 1081, 24, 1, COLOUR),
        (14, 16, 24, 1, COLOUR),
        (4098, 16, 24, 1, COLOUR),
        (1920.0, 1080, 24, 1, COLOUR),
        (True, 1080, 24, 1, COLOUR),
        (640, 360, 0, 1, COLOUR),
        (640, 360, 24, 0, COLOUR),
        (640, 360, 24, -1, COLOUR),
        (640, 360, 24, 0.01, COLOUR),
        (640, 360, 24, math.nan, COLOUR),
        (640, 360, 24, math.inf, COLOUR),
        (640, 360, 24, "1", COLOUR),
        (640, 360, 24, 1, (256, 0, 0)),
        (640, 360, 24, 1, (-1, 0, 0)),
        (640, 360, 24, 1, (0, 0)),
        (640, 360, 24, 1, (0.5, 0, 0)),
    ],
)
def test_rejects_bad_arguments(width: int, height: int, fps: int, duration: float, rgb: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        render_mp4(width, height, fps, duration, rgb)


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, bytes]]:
    end = len(data) if end is None else end
    while start < end:
        size, kind = struct.unpack_from(">I4s", data, start)
        assert size >= 8
        yield kind, data[start + 8 : start + size]
        start += size
    assert start == end


def find_box(data: bytes, path: str) -> bytes:
    # Container payload offsets: stsd has 8 bytes (version/flags, entry_count), avc1 has 78.
    skip = {b"stsd": 8, b"avc1": 78}
    payload = data
    parent = b""
    for kind in path.split("/"):
        boxes = dict(iter_boxes(payload, skip.get(parent, 0)))
        payload = boxes[kind.encode()]
        parent = kind.encode()
    return payload


def test_box_layout() -> None:
    data = render_mp4(1280, 720, 30, 2, COLOUR)
    assert [kind for kind, _ in iter_boxes(data)] == [b"ftyp", b"moov", b"mdat"]
    assert find_box(data, "ftyp")[:4] == b"isom"
    assert b"avc1" in find_box(data, "ftyp")[8:]
    mvhd = find_box(data, "moov/mvhd")
    assert struct.unpack_from(">IIIII", mvhd) == (0, 0, 0, 30_000, 60_000)
    stbl = "moov/trak/mdia/minf/stbl"
    assert find_box(data, "moov/trak/mdia/hdlr")[8:12] == b"vide"
    assert struct.unpack(">IIII", find_box(data, f"{stbl}/stts")) == (0, 1, 60, 1000)
    assert struct.unpack(">III", find_box(data, f"{stbl}/stss")) == (0, 1, 1)
    avcc = find_box(data, f"{stbl}/stsd/avc1/avcC")
    assert avcc[:4] == bytes([1, 66, 0xC0, 31])
    assert avcc[4] & 3 == 3
    tkhd = find_box(data, "moov/trak/tkhd")
    assert struct.unpack_from(">II", tkhd, len(tkhd) - 8) == (1280 << 16, 720 << 16)


def test_colour_conversion_is_bt601_limited_range() -> None:
    assert rgb_to_ycbcr((0, 0, 0)) == (16, 128, 128)
    assert rgb_to_ycbcr((255, 255, 255)) == (235, 128, 128)
    assert rgb_to_ycbcr((255, 0, 0)) == (81, 90, 240)


def test_exp_golomb_codes() -> None:
    assert [ue(v) for v in range(5)] == ["1", "010", "011", "00100", "00101"]
    assert [se(v) for v in (0, 1, -1, 2, -2)] == ["1", "010", "011", "00100", "00101"]


def test_emulation_prevention() -> None:
    assert nal_unit(0, 1, b"\x00\x00\x01\x00\x00\x00\x00\x00\x04") == (
        b"\x01\x00\x00\x03\x01\x00\x00\x03\x00\x00\x03\x00\x04"
    )


@pytest.mark.parametrize(
    ("width", "height", "fps", "level"),
    [(176, 144, 15, 10), (1280, 720, 30, 31), (1920, 1080, 30, 40), (1920, 1080, 60, 42), (4096, 16, 24, 40)],
)
def test_level_selection(width: int, height: int, fps: int, level: int) -> None:
    assert select_level(-(-width // 16), -(-height // 16), fps) == level
