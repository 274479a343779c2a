"""Tiny H.264 writer (Constrained Baseline profile, CAVLC, 4:2:0): the bitstream syntax, the parameter sets, and
solid-colour video, what a picture too small for the overlay shows (`media.h264_pictures` codes the overlay).

For a solid colour, frame 0 is an IDR picture: one I_PCM macroblock carrying the exact colour,
then I_16x16 DC-predicted macroblocks without residual, which copy it across
the picture.  Every later frame is a P picture of skipped macroblocks.  All
pictures are reference pictures, so pic_order_cnt_type 2 applies.

Section numbers refer to ITU-T Rec. H.264 (08/2021).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

MIN_SIZE = 16
MAX_SIZE = 4096
MIN_FPS = 1
MAX_FPS = 240

NAL_SLICE = 1
NAL_IDR = 5
NAL_SPS = 7
NAL_PPS = 8

PROFILE_BASELINE = 66
# constraint_set0_flag and constraint_set1_flag: Constrained Baseline (A.2.1.1).
CONSTRAINT_FLAGS = 0xC0

# Table A-1: (level_idc, MaxMBPS, MaxFS); level 1b and levels no smaller than an earlier one are left out.
# fmt: off
_LEVELS = (
    (10, 1485, 99), (11, 3000, 396), (12, 6000, 396), (13, 11880, 396), (21, 19800, 792),
    (22, 20250, 1620), (30, 40500, 1620), (31, 108000, 3600), (32, 216000, 5120),
    (40, 245760, 8192), (42, 522240, 8704), (50, 589824, 22080), (51, 983040, 36864),
    (52, 2073600, 36864), (60, 4177920, 139264), (61, 8355840, 139264), (62, 16711680, 139264),
)
# fmt: on
# MaxVmvR by level (Table A-1), as (highest level_idc, range in luma samples).
_VERTICAL_MV_RANGE = ((10, 64), (20, 128), (30, 256), (255, 512))

_SLICE_P = 0
_SLICE_I = 2
_MB_TYPE_I_PCM = 25
_MB_TYPE_I16_DC = 3  # I_16x16_2_0_0: DC prediction, no coded luma/chroma (Table 7-11)
# coeff_token for TotalCoeff = 0, TrailingOnes = 0 by nC range (Table 9-5).
_TOKEN_ZERO_COEFFS = ((2, "1"), (4, "11"), (8, "1111"))
_TOKEN_ZERO_COEFFS_FLC = "000011"
_NC_PCM = 16  # nN for an I_PCM neighbour (9.2.1)

_EMULATION = re.compile(rb"\x00\x00(?=[\x00-\x03])")


@lru_cache(maxsize=4096)
def ue(value: int) -> str:
    """Unsigned Exp-Golomb code ue(v) as a bit string (9.1)."""
    code = bin(value + 1)[2:]
    return "0" * (len(code) - 1) + code


@lru_cache(maxsize=4096)
def se(value: int) -> str:
    """Signed Exp-Golomb code se(v) as a bit string (9.1.1)."""
    return ue(2 * value - 1 if value > 0 else -2 * value)


def u(value: int, bits: int) -> str:
    """Fixed-length unsigned code u(n) as a bit string."""
    if not 0 <= value < 1 << bits:
        raise ValueError(f"{value} does not fit in {bits} bits")
    return format(value, f"0{bits}b")


class BitWriter:
    """Collects bit strings and turns them into RBSP bytes in one step."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0

    def bits(self, code: str) -> None:
        self._parts.append(code)
        self._length += len(code)

    def u(self, value: int, bits: int) -> None:
        self.bits(u(value, bits))

    def ue(self, value: int) -> None:
        self.bits(ue(value))

    def se(self, value: int) -> None:
        self.bits(se(value))

    def flag(self, value: bool) -> None:
        self.bits("1" if value else "0")

    def align_zero(self) -> None:
        self.bits("0" * (-self._length % 8))

    def bitstring(self) -> str:
        return "".join(self._parts)

    def rbsp(self) -> bytes:
        return rbsp_bytes(self.bitstring())


def rbsp_bytes(bits: str) -> bytes:
    """Append rbsp_trailing_bits (7.3.2.11) to a bit string and return the bytes."""
    bits += "1" + "0" * (-(len(bits) + 1) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def nal_unit(ref_idc: int, unit_type: int, rbsp: bytes) -> bytes:
    """Build a NAL unit, inserting emulation_prevention_three_byte (7.4.1)."""
    return bytes([ref_idc << 5 | unit_type]) + _EMULATION.sub(b"\x00\x00\x03", rbsp)


@dataclass(frozen=True)
class StreamLayout:
    """Picture geometry and the SPS-level choices derived from it."""

    width: int
    height: int
    fps: int
    frames: int
    hidden_rows: int = 0
    """Macroblock rows coded below the picture and cropped away (the overlay's glyph atlas)."""

    @cached_property
    def mb_width(self) -> int:
        return -(-self.width // 16)

    @cached_property
    def mb_height(self) -> int:
        return -(-self.height // 16) + self.hidden_rows

    @cached_property
    def mb_count(self) -> int:
        return self.mb_width * self.mb_height

    @cached_property
    def log2_max_frame_num(self) -> int:
        return min(16, max(4, (self.frames - 1).bit_length()))

    @cached_property
    def level_idc(self) -> int:
        return select_level(self.mb_width, self.mb_height, self.fps)

    @cached_property
    def max_vertical_mv(self) -> int:
        """MaxVmvR (Table A-1): the vertical motion vector range, in luma samples either way."""
        return next(limit for level, limit in _VERTICAL_MV_RANGE if self.level_idc <= level)


def validate(width: int, height: int, fps: int) -> None:
    """Raise ValueError unless width and height are even ints in range and fps is an int in range."""
    for name, value, low, high in (("width", width, MIN_SIZE, MAX_SIZE), ("height", height, MIN_SIZE, MAX_SIZE)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high or value % 2:
            raise ValueError(f"{name} must be an even int in [{low}, {high}], got {value!r}")
    if isinstance(fps, bool) or not isinstance(fps, int) or not MIN_FPS <= fps <= MAX_FPS:
        raise ValueError(f"fps must be an int in [{MIN_FPS}, {MAX_FPS}], got {fps!r}")


def select_level(mb_width: int, mb_height: int, fps: int) -> int:
    """Smallest level_idc whose limits (Table A-1, A.3.1) fit the stream."""
    frame_size = mb_width * mb_height
    for level_idc, max_mbps, max_fs in _LEVELS:
        side_limit = math.isqrt(8 * max_fs)
        fits = frame_size <= max_fs and max(mb_width, mb_height) <= side_limit
        if fits and frame_size * fps <= max_mbps:
            return level_idc
    return _LEVELS[-1][0]


def build_sps(layout: StreamLayout) -> bytes:
    """Sequence parameter set NAL unit (7.3.2.1.1)."""
    w = BitWriter()
    w.u(PROFILE_BASELINE, 8)
    w.u(CONSTRAINT_FLAGS, 8)
    w.u(layout.level_idc, 8)
    w.ue(0)  # seq_parameter_set_id
    w.ue(layout.log2_max_frame_num - 4)
    w.ue(2)  # pic_order_cnt_type: POC follows frame_num
    w.ue(1)  # max_num_ref_frames
    w.flag(False)  # gaps_in_frame_num_value_allowed_flag
    w.ue(layout.mb_width - 1)
    w.ue(layout.mb_height - 1)
    w.flag(True)  # frame_mbs_only_flag
    w.flag(True)  # direct_8x8_inference_flag
    # Crop units are 2 luma samples in both directions for 4:2:0 frames (7.4.2.1.1).
    crop_right = (layout.mb_width * 16 - layout.width) // 2
    crop_bottom = (layout.mb_height * 16 - layout.height) // 2
    w.flag(bool(crop_right or crop_bottom))
    if crop_right or crop_bottom:
        for offset in (0, crop_right, 0, crop_bottom):
            w.ue(offset)
    w.flag(True)  # vui_parameters_present_flag
    _write_vui(w, layout.fps)
    return nal_unit(3, NAL_SPS, w.rbsp())


def _write_vui(w: BitWriter, fps: int) -> None:
    """VUI (E.1.1): square pixels, BT.601 limited range, frame rate, no reordering."""
    w.bits("1" + u(1, 8))  # aspect_ratio_info_present_flag, aspect_ratio_idc 1 (1:1)
    w.flag(False)  # overscan_info_present_flag
    w.bits("1" + u(5, 3) + "0")  # video_signal_type_present_flag, video_format 5, video_full_range_flag
    w.bits("1" + u(6, 8) * 3)  # colour_description_present_flag; SMPTE 170M primaries, transfer, matrix
    w.flag(False)  # chroma_loc_info_present_flag
    w.flag(True)  # timing_info_present_flag
    w.u(1, 32)  # num_units_in_tick
    w.u(2 * fps, 32)  # time_scale: a frame lasts two ticks (E.2.1)
    w.flag(True)  # fixed_frame_rate_flag
    w.bits("000")  # nal_hrd_parameters_present_flag, vcl_hrd_..., pic_struct_present_flag
    w.bits("11")  # bitstream_restriction_flag, motion_vectors_over_pic_boundaries_flag
    w.bits(ue(0) + ue(0))  # max_bytes_per_pic_denom, max_bits_per_mb_denom
    w.bits(ue(15) + ue(15))  # log2_max_mv_length_horizontal, log2_max_mv_length_vertical
    w.ue(0)  # max_num_reorder_frames
    w.ue(1)  # max_dec_frame_buffering


def build_pps() -> bytes:
    """Picture parameter set NAL unit (7.3.2.2)."""
    w = BitWriter()
    w.ue(0)  # pic_parameter_set_id
    w.ue(0)  # seq_parameter_set_id
    w.flag(False)  # entropy_coding_mode_flag: CAVLC
    w.flag(False)  # bottom_field_pic_order_in_frame_present_flag
    w.ue(0)  # num_slice_groups_minus1
    w.ue(0)  # num_ref_idx_l0_default_active_minus1: one reference
    w.ue(0)  # num_ref_idx_l1_default_active_minus1
    w.flag(False)  # weighted_pred_flag
    w.u(0, 2)  # weighted_bipred_idc
    w.se(0)  # pic_init_qp_minus26
    w.se(0)  # pic_init_qs_minus26
    w.se(0)  # chroma_qp_index_offset
    w.flag(True)  # deblocking_filter_control_present_flag
    w.flag(False)  # constrained_intra_pred_flag
    w.flag(False)  # redundant_pic_cnt_present_flag
    return nal_unit(3, NAL_PPS, w.rbsp())


def _zero_coeff_token(nc: int) -> str:
    for limit, code in _TOKEN_ZERO_COEFFS:
        if nc < limit:
            return code
    return _TOKEN_ZERO_COEFFS_FLC


def _i16_dc_nc(mb_x: int, mb_y: int) -> int:
    """nC (9.2.1) of the Intra16x16DCLevel block of macroblock (mb_x, mb_y).

    Neighbours are the left and top macroblocks: nN is 16 for the I_PCM one at
    (0, 0) and 0 for the I_16x16 ones, which have no AC coefficients.
    """
    neighbours = []
    if mb_x > 0:
        neighbours.append(_NC_PCM if (mb_x - 1, mb_y) == (0, 0) else 0)
    if mb_y > 0:
        neighbours.append(_NC_PCM if (mb_x, mb_y - 1) == (0, 0) else 0)
    if len(neighbours) == 2:
        return (neighbours[0] + neighbours[1] + 1) >> 1
    return neighbours[0] if neighbours else 0


def _i16_dc_macroblock(nc: int) -> str:
    """macroblock_layer (7.3.5) of an I_16x16 DC macroblock without residual."""
    # mb_type, intra_chroma_pred_mode DC, mb_qp_delta 0, then the mandatory
    # Intra16x16DCLevel residual_block_cavlc with TotalCoeff 0 (7.3.5.3).
    return ue(_MB_TYPE_I16_DC) + ue(0) + se(0) + _zero_coeff_token(nc)


def _slice_header(layout: StreamLayout, idr: bool) -> tuple[str, str]:
    """slice_header (7.3.3) of a single-slice reference picture, split around frame_num."""
    head = BitWriter()
    head.ue(0)  # first_mb_in_slice
    head.ue(_SLICE_I if idr else _SLICE_P)
    head.ue(0)  # pic_parameter_set_id
    tail = BitWriter()
    if idr:
        tail.ue(0)  # idr_pic_id
        tail.flag(False)  # dec_ref_pic_marking (7.3.3.3): no_output_of_prior_pics_flag
        tail.flag(False)  # long_term_reference_flag
    else:
        tail.flag(False)  # num_ref_idx_active_override_flag: the PPS default of 1 applies
        tail.flag(False)  # ref_pic_list_modification_flag_l0 (7.3.3.1)
        tail.flag(False)  # adaptive_ref_pic_marking_mode_flag: sliding window (7.3.3.3)
    tail.se(0)  # slice_qp_delta
    tail.ue(1)  # disable_deblocking_filter_idc: off
    return head.bitstring(), tail.bitstring()


def _idr_row(mb_width: int, mb_y: int) -> str:
    """Macroblocks of one row of the IDR picture, I_PCM excluded."""
    first = 1 if mb_y == 0 else 0
    return "".join(_i16_dc_macroblock(_i16_dc_nc(mb_x, mb_y)) for mb_x in range(first, mb_width))


def build_idr_slice(layout: StreamLayout, ycbcr: tuple[int, int, int]) -> bytes:
    """IDR slice NAL unit: an I_PCM macroblock, then I_16x16 DC macroblocks (7.3.4)."""
    head, tail = _slice_header(layout, idr=True)
    w = BitWriter()
    w.bits(head + u(0, layout.log2_max_frame_num) + tail)
    w.ue(_MB_TYPE_I_PCM)
    w.align_zero()  # pcm_alignment_zero_bit
    y, cb, cr = ycbcr
    w.bits(u(y, 8) * 256 + u(cb, 8) * 64 + u(cr, 8) * 64)
    # Rows from 2 on have no I_PCM neighbour, so they are all alike.
    rows = [_idr_row(layout.mb_width, mb_y) for mb_y in range(min(3, layout.mb_height))]
    w.bits("".join(rows[:2]))
    if layout.mb_height > 2:
        w.bits(rows[2] * (layout.mb_height - 2))
    return nal_unit(3, NAL_IDR, w.rbsp())


def build_skip_slices(layout: StreamLayout, first: int, count: int) -> list[bytes]:
    """P slice NAL units whose macroblocks are all skipped, frame_num from `first` on."""
    head, tail = _slice_header(layout, idr=False)
    tail += ue(layout.mb_count)  # mb_skip_run covering the picture (7.3.4)
    size = layout.log2_max_frame_num
    frame_nums = (i % (1 << size) for i in range(first, first + count))
    return [nal_unit(2, NAL_SLICE, rbsp_bytes(head + u(n, size) + tail)) for n in frame_nums]


@dataclass(frozen=True)
class EncodedStream:
    """Parameter sets and one NAL unit per frame, without start codes."""

    sps: bytes
    pps: bytes
    frames: list[bytes]


def encode_solid(width: int, height: int, fps: int, frames: int, ycbcr: tuple[int, int, int]) -> EncodedStream:
    """Encode `frames` frames of one solid BT.601 limited-range YCbCr colour."""
    validate(width, height, fps)
    if frames < 1:
        raise ValueError(f"frame count must be positive, got {frames}")
    layout = StreamLayout(width, height, fps, frames)
    nals = [build_idr_slice(layout, ycbcr), *build_skip_slices(layout, 1, frames - 1)]
    return EncodedStream(build_sps(layout), build_pps(), nals)
