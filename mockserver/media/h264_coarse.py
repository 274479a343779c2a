"""Coarse pictures: an image coded as I_16x16 macroblocks with DC prediction and DC coefficients only, so each
4x4 block of luma and each 4x4 block of chroma (8x8 pixels) shows one value, the image's mean there. A
macroblock costs about 15 bytes, where I_PCM costs 384: enough to recognise a photo, at a quarter of its
resolution.

At QP 28 a luma DC level is exactly one sample step and a chroma one two (8.5.10, 8.5.11.2), so the
reconstruction is computed here as the decoder does, and the next macroblock predicts from it.

Section numbers refer to ITU-T Rec. H.264 (08/2021).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.media.cavlc import chroma_dc_block, luma_dc_block
from mockserver.media.h264 import se, ue

if TYPE_CHECKING:
    from PIL.Image import Image

QP = 28
MB_TYPE = 1 + 2 + 4  # I_16x16_2_1_0: DC prediction, chroma DC coded, no luma AC (Table 7-11)
# Zig-zag scan of a 4x4 block (Table 8-13) as (row, column).
# fmt: off
_ZIGZAG = ((0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2), (0, 3), (1, 2),
           (2, 1), (3, 0), (3, 1), (2, 2), (1, 3), (2, 3), (3, 2), (3, 3))
# fmt: on


@dataclass(frozen=True)
class CoarsePicture:
    """Per macroblock (mb_x, mb_y) its macroblock_layer after mb_type, and the reconstruction as planes."""

    layers: dict[tuple[int, int], str]
    y: bytes
    cb: bytes
    cr: bytes


def code_coarse(luma: Image, cb: Image, cr: Image) -> CoarsePicture:
    """Code limited-range planes (mode "L"; luma a multiple of 16 on each side, chroma half of it)."""
    from PIL import Image

    width, height = luma.size
    targets = [_blocks(plane.reduce(4)) for plane in (luma, cb, cr)]
    recon = [[[0] * len(row) for row in target] for target in targets]
    layers: dict[tuple[int, int], str] = {}
    for mb_y in range(height // 16):
        for mb_x in range(width // 16):
            levels = _luma(targets[0], recon[0], mb_x, mb_y)
            chroma = [_chroma(targets[k], recon[k], mb_x, mb_y) for k in (1, 2)]
            layers[mb_x, mb_y] = ue(0) + se(0) + luma_dc_block(levels) + "".join(map(chroma_dc_block, chroma))
    planes = []
    sizes = ((width, height), (width // 2, height // 2), (width // 2, height // 2))
    for blocks, size in zip(recon, sizes, strict=True):
        small = Image.frombytes("L", (len(blocks[0]), len(blocks)), bytes(v for row in blocks for v in row))
        planes.append(small.resize(size, Image.Resampling.NEAREST).tobytes())
    return CoarsePicture(layers, *planes)


def _blocks(image: Image) -> list[list[int]]:
    data, width = image.tobytes(), image.width
    return [list(data[row * width : (row + 1) * width]) for row in range(image.height)]


def _luma(target: list[list[int]], recon: list[list[int]], mb_x: int, mb_y: int) -> list[int]:
    """The 16 DC levels of a macroblock in scan order; fills its reconstruction. Each neighbouring block is
    flat, so the sums of 8.3.3.3 are four times the sums of block values."""
    x, y = 4 * mb_x, 4 * mb_y
    top = sum(recon[y - 1][x : x + 4]) if mb_y else None
    left = recon[y][x - 1] + recon[y + 1][x - 1] + recon[y + 2][x - 1] + recon[y + 3][x - 1] if mb_x else None
    if top is not None and left is not None:
        prediction = (top + left + 4) >> 3
    elif top is not None or left is not None:
        prediction = ((top if top is not None else left) + 2) >> 2  # type: ignore[operator]
    else:
        prediction = 128
    levels = [
        [(value + 8) // 16 for value in row]
        for row in _hadamard([[v - prediction for v in target[y + row][x : x + 4]] for row in range(4)])
    ]
    shown = _hadamard(levels)  # at QP 28 each block's residual is its value of H c H (8.5.10, 8.5.12)
    for row in range(4):
        line = recon[y + row]
        for column, value in enumerate(shown[row]):
            value += prediction
            line[x + column] = value if 0 <= value <= 255 else (0 if value < 0 else 255)
    return [levels[row][column] for row, column in _ZIGZAG]


def _chroma(target: list[list[int]], recon: list[list[int]], mb_x: int, mb_y: int) -> list[int]:
    """The 4 DC levels of one chroma component of a macroblock; fills its reconstruction. The predictions
    are those of 8.3.4.1-8.3.4.3 for flat neighbouring blocks."""
    x, y = 2 * mb_x, 2 * mb_y
    if mb_y and mb_x:
        t0, t1, l0, l1 = recon[y - 1][x], recon[y - 1][x + 1], recon[y][x - 1], recon[y + 1][x - 1]
        p00, p01, p10, p11 = (t0 + l0 + 1) >> 1, t1, l1, (t1 + l1 + 1) >> 1
    elif mb_y:
        p00, p01 = recon[y - 1][x], recon[y - 1][x + 1]
        p10, p11 = p00, p01
    elif mb_x:
        p00, p10 = recon[y][x - 1], recon[y + 1][x - 1]
        p01, p11 = p00, p10
    else:
        p00 = p01 = p10 = p11 = 128
    a, b = target[y][x] - p00, target[y][x + 1] - p01
    c, d = target[y + 1][x] - p10, target[y + 1][x + 1] - p11
    levels = [(a + b + c + d + 4) // 8, (a - b + c - d + 4) // 8, (a + b - c - d + 4) // 8, (a - b - c + d + 4) // 8]
    p, q, r, t = levels
    # The decoder's residual is 2 f for f = H c H at QP 28 (8.5.11.2).
    for row, column, prediction, f in ((0, 0, p00, p + q + r + t), (0, 1, p01, p - q + r - t),
                                       (1, 0, p10, p + q - r - t), (1, 1, p11, p - q - r + t)):  # fmt: skip
        value = prediction + 2 * f
        recon[y + row][x + column] = value if 0 <= value <= 255 else (0 if value < 0 else 255)
    return levels


def _hadamard(matrix: list[list[int]]) -> list[list[int]]:
    """H m H for the 4x4 Hadamard matrix H of 8.5.10 (H is symmetric: its rows, then its columns)."""
    rows = [_h4(*row) for row in matrix]
    columns = [_h4(*column) for column in zip(*rows, strict=True)]
    return [list(row) for row in zip(*columns, strict=True)]


def _h4(a: int, b: int, c: int, d: int) -> tuple[int, int, int, int]:
    """H v: (a+b+c+d, a+b-c-d, a-b-c+d, a-b+c-d) in four additions and four subtractions."""
    s, t, u, v = a + b, c + d, a - b, c - d
    return s + t, s - t, u - v, u + v
