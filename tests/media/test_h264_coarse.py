"""Coarse pictures (DC-only intra macroblocks), checked by decoding: FFmpeg shows exactly the reconstruction
the writer computed, in an intra picture and as macroblocks replaced in a P picture."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mockserver.media.cavlc import chroma_dc_block, luma_dc_block
from mockserver.media.h264 import EncodedStream, StreamLayout, build_pps, build_sps
from mockserver.media.h264_coarse import code_coarse
from mockserver.media.h264_pictures import Planes, build_copy_picture, build_intra_picture
from mockserver.media.mp4 import mux
from tests.media.decoding import decoded_planes


def random_planes(width: int, height: int, rng: random.Random, wild: float) -> tuple[Image.Image, ...]:
    """Limited-range planes: smooth ramps with, at rate `wild`, pixels anywhere in 0-255; `wild` 2 is a
    checkerboard of 4x4 blocks at 0 and 255 (the largest levels, coded with escapes)."""

    def plane(w: int, h: int, low: int, high: int) -> Image.Image:
        if wild == 2:
            return Image.frombytes(
                "L", (w, h), bytes(255 * ((x // 4 + y // 4) % 2) for y in range(h) for x in range(w))
            )
        start, slope = rng.randrange(low, high), rng.uniform(-2, 2)
        values = [
            rng.randrange(0, 256) if rng.random() < wild else min(high, max(low, round(start + slope * (x + y))))
            for y in range(h)
            for x in range(w)
        ]
        return Image.frombytes("L", (w, h), bytes(values))

    return (
        plane(width, height, 16, 236),
        plane(width // 2, height // 2, 16, 241),
        plane(width // 2, height // 2, 16, 241),
    )


@settings(max_examples=25, deadline=None)
@given(
    mb_width=st.integers(1, 5),
    mb_height=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    wild=st.sampled_from([0.0, 0.1, 1.0, 2.0]),
)
def test_a_coarse_picture_decodes_to_its_reconstruction(mb_width: int, mb_height: int, seed: int, wild: float) -> None:
    rng = random.Random(seed)
    width, height = 16 * mb_width, 16 * mb_height
    first = code_coarse(*random_planes(width, height, rng, wild))
    second = code_coarse(*random_planes(width, height, rng, wild))
    layout = StreamLayout(width, height, 24, 2)
    intra = build_intra_picture(layout, Planes(width, first.y, first.cb, first.cr), {}, first.layers)
    replaced: dict[tuple[int, int], bytes | str] = dict(second.layers)
    data = mux(
        EncodedStream(build_sps(layout), build_pps(), [intra, build_copy_picture(layout, 1, {}, replaced)]),
        width,
        height,
        24,
    )
    assert decoded_planes(data) == [(first.y, first.cb, first.cr), (second.y, second.cb, second.cr)]


def test_a_smooth_image_comes_out_close_and_small() -> None:
    rng = random.Random(7)
    planes = random_planes(64, 48, rng, 0.0)
    coarse = code_coarse(*planes)
    errors = [abs(a - b) for a, b in zip(coarse.y, planes[0].tobytes(), strict=True)]
    assert sum(errors) / len(errors) < 3
    assert sum(map(len, coarse.layers.values())) / 8 < 12 * 30  # bytes for 12 macroblocks, where I_PCM needs 384 each


def test_residual_blocks_code_what_the_standard_tables_say() -> None:
    assert luma_dc_block([0] * 16) == "1"
    assert luma_dc_block([1] + [0] * 15) == "01" + "0" + "1"  # TotalCoeff 1, one trailing one (+), total_zeros 0
    assert luma_dc_block([0, 0, -1] + [0] * 13) == "01" + "1" + "010"  # trailing one (-), total_zeros 2
    assert chroma_dc_block([0, 0, 0, 0]) == "01"
    assert chroma_dc_block([3, 0, 0, 0]) == "000111" + "001" + "1"  # levelCode 4 - 2: prefix 2; total_zeros 0
