"""ISO base media file (MP4) muxer for the writer's H.264 streams.

The layout is ftyp, moov, mdat ("faststart"): one video track, one chunk,
samples stored as 4-byte length-prefixed NAL units (ISO/IEC 14496-15).
Box clauses refer to ISO/IEC 14496-12.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from mockserver.media.h264 import EncodedStream, encode_solid, validate

# Media ticks per frame; the timescale is fps * TICKS_PER_FRAME.
TICKS_PER_FRAME = 1000
# Keeps every 32-bit duration field (version 0 boxes) in range.
MAX_FRAMES = 0xFFFFFFFF // TICKS_PER_FRAME
_NAL_LENGTH_SIZE = 4
_TRACK_ID = 1
_UNITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
_LANGUAGE_UND = (21 << 10) | (14 << 5) | 4  # packed ISO-639-2 "und" (8.4.2)


def render_mp4(width: int, height: int, fps: int, duration: float, rgb: tuple[int, int, int]) -> bytes:
    """Return an MP4 file showing `rgb` for round(duration * fps) frames."""
    validate(width, height, fps)
    frames = frame_count(fps, duration)
    stream = encode_solid(width, height, fps, frames, rgb_to_ycbcr(rgb))
    return mux(stream, width, height, fps)


def frame_count(fps: int, duration: float) -> int:
    """round(duration * fps), validated to be in [1, MAX_FRAMES]."""
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        raise ValueError(f"duration must be a number, got {duration!r}")
    if not math.isfinite(duration) or duration <= 0:
        raise ValueError(f"duration must be positive and finite, got {duration!r}")
    frames = round(duration * fps)
    if not 1 <= frames <= MAX_FRAMES:
        raise ValueError(f"duration {duration} at {fps} fps gives {frames} frames")
    return frames


def rgb_to_ycbcr(rgb: Sequence[int]) -> tuple[int, int, int]:
    """8-bit RGB to BT.601 limited-range YCbCr (Y 16-235, Cb/Cr 16-240)."""
    if len(rgb) != 3 or any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= 255 for c in rgb):
        raise ValueError(f"rgb must be three ints in [0, 255], got {rgb!r}")
    r, g, b = rgb
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    cb = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    cr = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return _clamp(y, 235), _clamp(cb, 240), _clamp(cr, 240)


def _clamp(value: float, top: int) -> int:
    return min(top, max(16, round(value)))


def box(kind: bytes, *payload: bytes) -> bytes:
    """A plain box (4.2): 32-bit size, four-character type, payload."""
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """A FullBox (4.2): version and 24-bit flags precede the payload."""
    return box(kind, struct.pack(">I", version << 24 | flags), *payload)


def mux(stream: EncodedStream, width: int, height: int, fps: int) -> bytes:
    """Wrap an encoded stream into ftyp + moov + mdat."""
    samples = [struct.pack(">I", len(nal)) + nal for nal in stream.frames]
    mdat_payload = b"".join(samples)
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    sizes = [len(s) for s in samples]
    # The chunk offset does not change the moov size, so measure with 0 first.
    moov_size = len(_moov(stream, width, height, fps, sizes, 0))
    offset = len(ftyp) + moov_size + 8
    if offset + len(mdat_payload) > 0xFFFFFFFF:
        raise ValueError("stream too large for 32-bit chunk offsets")
    moov = _moov(stream, width, height, fps, sizes, offset)
    return ftyp + moov + box(b"mdat", mdat_payload)


def _moov(stream: EncodedStream, width: int, height: int, fps: int, sizes: list[int], offset: int) -> bytes:
    timescale = fps * TICKS_PER_FRAME
    duration = len(sizes) * TICKS_PER_FRAME
    stbl = box(
        b"stbl",
        _stsd(stream, width, height),
        full_box(b"stts", 0, 0, struct.pack(">III", 1, len(sizes), TICKS_PER_FRAME)),
        full_box(b"stss", 0, 0, struct.pack(">II", 1, 1)),
        full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(sizes), 1)),
        full_box(b"stsz", 0, 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes)),
        full_box(b"stco", 0, 0, struct.pack(">II", 1, offset)),
    )
    minf = box(b"minf", full_box(b"vmhd", 0, 1, bytes(8)), _dinf(), stbl)
    mdia = box(b"mdia", _mdhd(timescale, duration), _hdlr(), minf)
    trak = box(b"trak", _tkhd(duration, width, height), mdia)
    return box(b"moov", _mvhd(timescale, duration), trak)


def _mvhd(timescale: int, duration: int) -> bytes:
    """Movie header (8.2.2); times are 0 to keep the output deterministic."""
    return full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIIIIH", 0, 0, timescale, duration, 0x10000, 0x100),
        bytes(10),
        _UNITY_MATRIX,
        bytes(24),
        struct.pack(">I", _TRACK_ID + 1),
    )


def _tkhd(duration: int, width: int, height: int) -> bytes:
    """Track header (8.3.2); flags 3 = enabled and in movie."""
    return full_box(
        b"tkhd",
        0,
        3,
        struct.pack(">IIIII", 0, 0, _TRACK_ID, 0, duration),
        bytes(8),
        struct.pack(">hhHH", 0, 0, 0, 0),
        _UNITY_MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )


def _mdhd(timescale: int, duration: int) -> bytes:
    """Media header (8.4.2)."""
    return full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, _LANGUAGE_UND, 0))


def _hdlr() -> bytes:
    """Handler reference (8.4.3) for a video track."""
    return full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00")


def _dinf() -> bytes:
    """Data information (8.7.1): media data is in this file (url flag 1)."""
    return box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))


def _stsd(stream: EncodedStream, width: int, height: int) -> bytes:
    """Sample description with one AVCSampleEntry (14496-15 5.4.2)."""
    entry = box(
        b"avc1",
        bytes(6),
        struct.pack(">H", 1),  # data_reference_index
        bytes(16),
        struct.pack(">HHII", width, height, 0x480000, 0x480000),  # 72 dpi
        bytes(4),
        struct.pack(">H", 1),  # frame_count per sample
        bytes(32),  # compressorname
        struct.pack(">Hh", 0x18, -1),  # depth, pre_defined
        _avcc(stream),
        _colr(),
    )
    return full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry)


def _avcc(stream: EncodedStream) -> bytes:
    """AVCDecoderConfigurationRecord (14496-15 5.3.3.1)."""
    sps, pps = stream.sps, stream.pps
    return box(
        b"avcC",
        bytes([1, sps[1], sps[2], sps[3], 0xFC | (_NAL_LENGTH_SIZE - 1), 0xE0 | 1]),
        struct.pack(">H", len(sps)),
        sps,
        bytes([1]),
        struct.pack(">H", len(pps)),
        pps,
    )


def _colr() -> bytes:
    """Colour information (12.1.5): BT.601 (SMPTE 170M), limited range, as in the VUI."""
    return box(b"colr", b"nclx", struct.pack(">HHHB", 6, 6, 6, 0))
