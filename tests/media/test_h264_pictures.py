"""The lossless intra picture and the copying P pictures, checked against a simulation by decoding."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.media.h264 import EncodedStream, StreamLayout, build_pps, build_sps
from mockserver.media.h264_pictures import Planes, build_copy_picture, build_intra_picture
from mockserver.media.mp4 import mux
from tests.media.decoding import decoded_planes


class Picture:
    """Planes as mutable rows, to simulate what a decoder does with copies and replacements."""

    def __init__(self, width: int, height: int, rng: random.Random) -> None:
        self.width, self.height = width, height
        self.y = bytearray(rng.randrange(16, 236) for _ in range(width * height))
        self.cb = bytearray(rng.randrange(16, 241) for _ in range(width * height // 4))
        self.cr = bytearray(rng.randrange(16, 241) for _ in range(width * height // 4))

    def planes(self) -> Planes:
        return Planes(self.width, bytes(self.y), bytes(self.cb), bytes(self.cr))

    def copy_window(self, source: Planes, mb_x: int, mb_y: int, dx: int, dy: int) -> None:
        for plane, size, src in ((self.y, 16, source.y), (self.cb, 8, source.cb), (self.cr, 8, source.cr)):
            scale, width = 16 // size, self.width * size // 16
            for row in range(size):
                to = (mb_y * size + row) * width + mb_x * size
                at = (mb_y * size + row + dy // scale) * width + mb_x * size + dx // scale
                plane[to : to + size] = src[at : at + size]

    def replace(self, mb_x: int, mb_y: int, samples: bytes) -> None:
        luma, cb, cr = samples[:256], samples[256:320], samples[320:]
        for plane, size, data in ((self.y, 16, luma), (self.cb, 8, cb), (self.cr, 8, cr)):
            width = self.width * size // 16
            for row in range(size):
                to = (mb_y * size + row) * width + mb_x * size
                plane[to : to + size] = data[row * size : (row + 1) * size]


@settings(max_examples=30, deadline=None)
@given(
    mb_width=st.integers(1, 6),
    mb_height=st.integers(1, 5),
    pictures=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    moving=st.floats(0, 1),
    replacing=st.floats(0, 0.3),
)
def test_copies_and_replacements_decode_exactly(
    mb_width: int, mb_height: int, pictures: int, seed: int, moving: float, replacing: float
) -> None:
    """Any mix of copied (even vectors, within the level's range), replaced and skipped macroblocks decodes to
    what a decoder should show: motion vector prediction and skip derivation are right."""
    rng = random.Random(seed)
    width, height = 16 * mb_width, 16 * mb_height
    layout = StreamLayout(width, height, 24, pictures + 1)
    picture = Picture(width, height, rng)
    every = {mb_y: set(range(1, mb_width)) for mb_y in range(mb_height)}
    nals = [build_intra_picture(layout, picture.planes(), every)]
    expected = [picture.planes()]
    reach = layout.max_vertical_mv - 2
    for number in range(1, pictures + 1):
        before = picture.planes()
        moves, replaced = {}, {}
        for mb_y in range(mb_height):
            for mb_x in range(mb_width):
                roll = rng.random()
                if roll < replacing:
                    replaced[mb_x, mb_y] = bytes(rng.randrange(16, 236) for _ in range(384))
                elif roll < replacing + moving * (1 - replacing):
                    top = rng.randrange(max(0, 16 * mb_y - reach), min(height - 16, 16 * mb_y + reach) + 1)
                    left = rng.randrange(0, width - 15)
                    moves[mb_x, mb_y] = (left - left % 2 - 16 * mb_x, top - top % 2 - 16 * mb_y)
        for (mb_x, mb_y), (dx, dy) in moves.items():
            picture.copy_window(before, mb_x, mb_y, dx, dy)
        for (mb_x, mb_y), samples in replaced.items():
            picture.replace(mb_x, mb_y, samples)
        nals.append(build_copy_picture(layout, number, moves, replaced))
        expected.append(picture.planes())
    data = mux(EncodedStream(build_sps(layout), build_pps(), nals), width, height, 24)
    decoded = decoded_planes(data)
    assert len(decoded) == len(expected)
    for got, want in zip(decoded, expected, strict=True):
        assert got == (want.y, want.cb, want.cr)


def test_horizontal_stripes_need_pcm_only_where_drawn_and_in_the_first_column() -> None:
    width, height = 64, 48
    rows = [bytes([16 + 4 * (row % 40)]) * width for row in range(height)]
    planes = Planes(width, b"".join(rows), bytes([128]) * (width * height // 4), bytes([128]) * (width * height // 4))
    layout = StreamLayout(width, height, 24, 1)
    small = build_intra_picture(layout, planes, {})
    all_pcm = build_intra_picture(layout, planes, {mb_y: {1, 2, 3} for mb_y in range(3)})
    data = mux(EncodedStream(build_sps(layout), build_pps(), [small]), width, height, 24)
    assert decoded_planes(data)[0][0] == planes.y
    assert len(small) < 3 * 400 < len(all_pcm)
