"""Pictures with content for the H.264 writer: an intra picture coded losslessly, and P pictures that copy.

The intra picture uses three kinds of macroblock, none with a residual, so what the decoder reconstructs is
exactly the planes given: I_PCM (the samples as they are) where the caller marks a macroblock as drawn on,
I_16x16 horizontal prediction elsewhere (each line continues the left neighbour's last column, which is
exact wherever the picture is made of horizontal stripes), and in the first column vertical prediction when
the macroblock repeats the line above it, I_PCM when it does not.

A P picture re-codes only the macroblocks that change, each as P_L0_16x16 without residual: a whole-sample
motion vector copies a 16x16 window of the previous picture (the overlay keeps its glyphs and its moving
marker in rows cropped off the bottom). The rest are skipped; a skipped macroblock whose derived motion
vector (8.4.1.1) would not be zero is coded with a zero vector instead.

Section numbers refer to ITU-T Rec. H.264 (08/2021).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache

from mockserver.media.h264 import (
    NAL_IDR,
    NAL_SLICE,
    BitWriter,
    StreamLayout,
    nal_unit,
    rbsp_bytes,
    se,
    ue,
)
from mockserver.media.h264_coarse import MB_TYPE as COARSE_MB_TYPE
from mockserver.media.h264_coarse import QP as COARSE_QP

_MB_TYPE_I_PCM = 25
_MB_TYPE_I16_VERTICAL = 1  # I_16x16_0_0_0 (Table 7-11)
_MB_TYPE_I16_HORIZONTAL = 2  # I_16x16_1_0_0
_CHROMA_HORIZONTAL = 1  # intra_chroma_pred_mode (7.4.5.1)
_CHROMA_VERTICAL = 2
_NC_PCM = 16
# coeff_token of an empty Intra16x16DCLevel block by nC (Table 9-5): nC 0, 8 and 16 are the only ones here.
_EMPTY_TOKEN = {0: "1", 8: "000011", 16: "000011"}

Move = tuple[int, int]
"""A whole-sample motion vector (dx, dy): the macroblock shows the previous picture's window at its place + (dx, dy)."""


@dataclass(frozen=True)
class Planes:
    """A 4:2:0 picture at its coded size: Y rows of `width` bytes, Cb and Cr rows of `width // 2`."""

    width: int
    y: bytes
    cb: bytes
    cr: bytes

    def pcm_samples(self, mb_x: int, mb_y: int) -> bytes:
        """pcm_sample_luma then pcm_sample_chroma (7.3.5) of one macroblock."""
        w, cw = self.width, self.width // 2
        x, cx = 16 * mb_x, 8 * mb_x
        luma = [self.y[(16 * mb_y + r) * w + x : (16 * mb_y + r) * w + x + 16] for r in range(16)]
        cb = [self.cb[(8 * mb_y + r) * cw + cx : (8 * mb_y + r) * cw + cx + 8] for r in range(8)]
        cr = [self.cr[(8 * mb_y + r) * cw + cx : (8 * mb_y + r) * cw + cx + 8] for r in range(8)]
        return b"".join(luma + cb + cr)

    def repeats_line_above(self, mb_x: int, mb_y: int) -> bool:
        """Whether every line of the macroblock equals the last line of the one above it (vertical prediction)."""
        w, cw = self.width, self.width // 2
        x, cx = 16 * mb_x, 8 * mb_x
        above = self.y[(16 * mb_y - 1) * w + x : (16 * mb_y - 1) * w + x + 16]
        if any(self.y[(16 * mb_y + r) * w + x : (16 * mb_y + r) * w + x + 16] != above for r in range(16)):
            return False
        for plane in (self.cb, self.cr):
            above = plane[(8 * mb_y - 1) * cw + cx : (8 * mb_y - 1) * cw + cx + 8]
            if any(plane[(8 * mb_y + r) * cw + cx : (8 * mb_y + r) * cw + cx + 8] != above for r in range(8)):
                return False
        return True


@lru_cache(maxsize=1024)
def _slice_start(layout: StreamLayout, idr: bool, frame_num: int) -> str:
    """slice_header (7.3.3) of a single-slice reference picture."""
    w = BitWriter()
    w.ue(0)  # first_mb_in_slice
    w.ue(2 if idr else 0)  # slice_type I or P
    w.ue(0)  # pic_parameter_set_id
    w.u(frame_num % (1 << layout.log2_max_frame_num), layout.log2_max_frame_num)
    if idr:
        w.ue(0)  # idr_pic_id
        w.bits("00")  # no_output_of_prior_pics_flag, long_term_reference_flag
    else:
        w.bits("000")  # num_ref_idx_active_override_flag, ref_pic_list_modification_flag_l0, adaptive marking
    w.se(COARSE_QP - 26)  # slice_qp_delta: QP only scales the residual of coarse macroblocks
    w.ue(1)  # disable_deblocking_filter_idc: off, so copies stay exact
    return w.bitstring()


def _predicted(mb_type: int, chroma_mode: int, nc: int) -> str:
    """macroblock_layer (7.3.5) of an I_16x16 macroblock without residual."""
    return ue(mb_type) + ue(chroma_mode) + se(0) + _EMPTY_TOKEN[nc]


def _nc(left_pcm: bool | None, top_pcm: bool | None) -> int:
    """nC (9.2.1) of an Intra16x16DCLevel block: None for an unavailable neighbour, 16 for an I_PCM one."""
    counts = [_NC_PCM if pcm else 0 for pcm in (left_pcm, top_pcm) if pcm is not None]
    return (sum(counts) + 1) >> 1 if len(counts) == 2 else (counts[0] if counts else 0)


def build_intra_picture(
    layout: StreamLayout,
    planes: Planes,
    drawn: Mapping[int, Collection[int]],
    coarse: Mapping[tuple[int, int], str] | None = None,
) -> bytes:
    """IDR slice NAL unit of `planes`, lossless, given the macroblocks drawn on: `drawn[mb_y]` holds the
    columns (never 0) that are not horizontal stripes continuing their left neighbour's last column. Whole rows
    may be coarse instead (`coarse`: the layers of `h264_coarse.code_coarse`, whose reconstruction `planes`
    then holds)."""
    w = _AlignedWriter(_slice_start(layout, idr=True, frame_num=0))
    width = layout.mb_width
    plain_rows: dict[tuple[bool, bool], str] = {}
    above: Collection[int] = ()
    above_first_pcm: bool | None = None
    coarse = coarse or {}
    for mb_y in range(layout.mb_height):
        if (0, mb_y) in coarse:  # neighbours of a coarse macroblock count no coefficients (9.2.1)
            w.bits("".join(ue(COARSE_MB_TYPE) + coarse[mb_x, mb_y] for mb_x in range(width)))
            above, above_first_pcm = (), False
            continue
        row = drawn.get(mb_y, ())
        first_pcm = mb_y == 0 or not planes.repeats_line_above(0, mb_y)
        top = None if mb_y == 0 else above_first_pcm
        if first_pcm:
            w.pcm(ue(_MB_TYPE_I_PCM), planes.pcm_samples(0, mb_y))
        else:
            w.bits(_predicted(_MB_TYPE_I16_VERTICAL, _CHROMA_VERTICAL, _nc(None, top)))
        if not row and not above:
            key = (first_pcm, mb_y == 0)
            if key not in plain_rows:
                plain_rows[key] = _plain_run(width, first_pcm, None if mb_y == 0 else ())
            w.bits(plain_rows[key])
        else:
            left_pcm = first_pcm
            for mb_x in range(1, width):
                if mb_x in row:
                    w.pcm(ue(_MB_TYPE_I_PCM), planes.pcm_samples(mb_x, mb_y))
                    left_pcm = True
                else:
                    top_pcm = None if mb_y == 0 else mb_x in above
                    w.bits(_predicted(_MB_TYPE_I16_HORIZONTAL, _CHROMA_HORIZONTAL, _nc(left_pcm, top_pcm)))
                    left_pcm = False
        above, above_first_pcm = row, first_pcm
    return nal_unit(3, NAL_IDR, w.rbsp())


class _AlignedWriter:
    """Bit strings between byte-aligned runs of I_PCM samples, which are kept as bytes."""

    def __init__(self, start: str) -> None:
        self._chunks: list[bytes] = []
        self._bits = [start]
        self._length = len(start)

    def bits(self, code: str) -> None:
        self._bits.append(code)
        self._length += len(code)

    def pcm(self, head: str, samples: bytes) -> None:
        """`head` (mb_skip_run and mb_type), pcm_alignment_zero_bits, then the samples."""
        self.bits(head + "0" * (-(self._length + len(head)) % 8))
        bits = "".join(self._bits)
        self._chunks += [int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b"", samples]
        self._bits, self._length = [], 0

    def rbsp(self) -> bytes:
        return b"".join(self._chunks) + rbsp_bytes("".join(self._bits))


def _plain_run(width: int, first_pcm: bool, above: Collection[int] | None) -> str:
    """Columns 1.. of a row of horizontally predicted macroblocks with nothing drawn above them."""
    if width == 1:
        return ""
    top = None if above is None else False
    head = _predicted(_MB_TYPE_I16_HORIZONTAL, _CHROMA_HORIZONTAL, _nc(first_pcm, top))
    rest = _predicted(_MB_TYPE_I16_HORIZONTAL, _CHROMA_HORIZONTAL, _nc(False, top))
    return head + rest * (width - 2)


def build_copy_picture(
    layout: StreamLayout,
    frame_num: int,
    moves: Mapping[tuple[int, int], Move],
    replaced: Mapping[tuple[int, int], bytes | str] | None = None,
) -> bytes:
    """P slice NAL unit: macroblock (mb_x, mb_y) in `moves` copies the previous picture's window at its place
    moved by the vector, one in `replaced` becomes those I_PCM samples (`Planes.pcm_samples`) or that coarse
    macroblock (a layer of `h264_coarse.code_coarse`, str); every other
    macroblock stays as it was."""
    width, limit = layout.mb_width, 4 * layout.max_vertical_mv
    vectors: dict[tuple[int, int], Move | None] = {place: (4 * dx, 4 * dy) for place, (dx, dy) in moves.items()}
    vectors |= dict.fromkeys(replaced or (), None)
    order = sorted(vectors, key=_raster)
    if _add_zero_vectors(vectors, order, width):
        order = sorted(vectors, key=_raster)
    w = _AlignedWriter(_slice_start(layout, False, frame_num % (1 << layout.log2_max_frame_num)))
    next_address = 0
    for mb_x, mb_y in order:
        address = mb_y * width + mb_x
        vector = vectors[mb_x, mb_y]
        if vector is None:  # mb_skip_run, an intra mb_type (5 + its I-slice value in a P slice, Table 7-13), ...
            content = replaced[mb_x, mb_y]  # type: ignore[index]
            if isinstance(content, str):
                w.bits(ue(address - next_address) + ue(5 + COARSE_MB_TYPE) + content)
            else:
                w.pcm(ue(address - next_address) + ue(5 + _MB_TYPE_I_PCM), content)
        else:
            mv_x, mv_y = vector
            if not -limit <= mv_y < limit or not -8192 <= mv_x < 8192:
                raise ValueError(f"motion vector {(mv_x / 4, mv_y / 4)} is out of range for level {layout.level_idc}")
            pred_x, pred_y = _predicted_vector(vectors, width, mb_x, mb_y)
            # mb_skip_run, mb_type P_L0_16x16, mvd_l0, coded_block_pattern 0 (me(v) codeNum 0 for inter)
            w.bits(ue(address - next_address) + "1" + se(mv_x - pred_x) + se(mv_y - pred_y) + "1")
        next_address = address + 1
    if next_address < layout.mb_count:
        w.bits(ue(layout.mb_count - next_address))
    return nal_unit(2, NAL_SLICE, w.rbsp())


def _raster(place: tuple[int, int]) -> tuple[int, int]:
    return place[1], place[0]


def _add_zero_vectors(vectors: dict[tuple[int, int], Move | None], order: list[tuple[int, int]], width: int) -> bool:
    """Give a zero vector to each skipped macroblock that would otherwise derive a non-zero one (8.4.1.1): its
    left neighbour must be intra or moving, and so must its top one; so it can only be right of such a one."""
    added = False
    zero = (0, 0)
    for mb_x, mb_y in order:
        right = (mb_x + 1, mb_y)
        if mb_x + 1 >= width or mb_y == 0 or right in vectors or vectors[mb_x, mb_y] == zero:
            continue
        if vectors.get((mb_x + 1, mb_y - 1), zero) != zero and _predicted_vector(vectors, width, *right) != zero:
            vectors[right] = zero
            added = True
    return added


def _predicted_vector(vectors: Mapping[tuple[int, int], Move | None], width: int, mb_x: int, mb_y: int) -> Move:
    """mvpLX (8.4.1.3) of a 16x16 partition with reference 0. `vectors` holds the coded macroblocks (None for an
    intra one); every other one is skipped with a zero vector. None also stands for an unavailable neighbour:
    both count as a reference other than 0 with a zero vector."""
    zero = (0, 0)
    if mb_y == 0:  # B and C unavailable: A's vector, or none
        return (vectors.get((mb_x - 1, 0), zero) or zero) if mb_x > 0 else zero
    b = vectors.get((mb_x, mb_y - 1), zero)
    if mb_x + 1 < width:
        c = vectors.get((mb_x + 1, mb_y - 1), zero)
    else:
        c = vectors.get((mb_x - 1, mb_y - 1), zero) if mb_x > 0 else None  # D stands in for C (8.4.1.3.2)
    a = vectors.get((mb_x - 1, mb_y), zero) if mb_x > 0 else None
    if a is not None and a == b == c:
        return a
    inter = [vector for vector in (a, b, c) if vector is not None]
    if len(inter) == 1:
        return inter[0]
    a, b, c = a or zero, b or zero, c or zero
    return sorted((a[0], b[0], c[0]))[1], sorted((a[1], b[1], c[1]))[1]
