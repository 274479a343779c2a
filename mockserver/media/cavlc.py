"""CAVLC residual blocks (ITU-T Rec. H.264 9.2) for the writer's coarse pictures: the tables of 9.2.1-9.2.3 for
the two block kinds it codes, a luma DC block (16 coefficients, nC below 2) and a 4:2:0 chroma DC block
(4 coefficients, nC = -1)."""

from __future__ import annotations

from collections.abc import Sequence

# coeff_token (Table 9-5), 0 <= nC < 2: by TotalCoeff, the codes for TrailingOnes 0..3.
# fmt: off
_TOKENS_NC0 = (
    ("1",),
    ("000101", "01"),
    ("00000111", "000100", "001"),
    ("000000111", "00000110", "0000101", "00011"),
    ("0000000111", "000000110", "00000101", "000011"),
    ("00000000111", "0000000110", "000000101", "0000100"),
    ("0000000001111", "00000000110", "0000000101", "00000100"),
    ("0000000001011", "0000000001110", "00000000101", "000000100"),
    ("0000000001000", "0000000001010", "0000000001101", "0000000100"),
    ("00000000001111", "00000000001110", "0000000001001", "00000000100"),
    ("00000000001011", "00000000001010", "00000000001101", "0000000001100"),
    ("000000000001111", "000000000001110", "00000000001001", "00000000001100"),
    ("000000000001011", "000000000001010", "000000000001101", "00000000001000"),
    ("0000000000001111", "000000000000001", "000000000001001", "000000000001100"),
    ("0000000000001011", "0000000000001110", "0000000000001101", "000000000001000"),
    ("0000000000000111", "0000000000001010", "0000000000001001", "0000000000001100"),
    ("0000000000000100", "0000000000000110", "0000000000000101", "0000000000001000"),
)
# nC = -1 (chroma DC, 4:2:0).
_TOKENS_CHROMA_DC = (
    ("01",),
    ("000111", "1"),
    ("000100", "000110", "001"),
    ("000011", "0000011", "0000010", "000101"),
    ("000010", "00000011", "00000010", "0000000"),
)
# total_zeros (Tables 9-7, 9-8) by TotalCoeff, indexed by total_zeros.
_TOTAL_ZEROS = (
    (),
    ("1", "011", "010", "0011", "0010", "00011", "00010", "000011", "000010", "0000011", "0000010", "00000011",
     "00000010", "000000011", "000000010", "000000001"),
    ("111", "110", "101", "100", "011", "0101", "0100", "0011", "0010", "00011", "00010", "000011", "000010",
     "000001", "000000"),
    ("0101", "111", "110", "101", "0100", "0011", "100", "011", "0010", "00011", "00010", "000001", "00001", "000000"),
    ("00011", "111", "0101", "0100", "110", "101", "100", "0011", "011", "0010", "00010", "00001", "00000"),
    ("0101", "0100", "0011", "111", "110", "101", "100", "011", "0010", "00001", "0001", "00000"),
    ("000001", "00001", "111", "110", "101", "100", "011", "010", "0001", "001", "000000"),
    ("000001", "00001", "101", "100", "011", "11", "010", "0001", "001", "000000"),
    ("000001", "0001", "00001", "011", "11", "10", "010", "001", "000000"),
    ("000001", "000000", "0001", "11", "10", "001", "01", "00001"),
    ("00001", "00000", "001", "11", "10", "01", "0001"),
    ("0000", "0001", "001", "010", "1", "011"),
    ("0000", "0001", "01", "1", "001"),
    ("000", "001", "1", "01"),
    ("00", "01", "1"),
    ("0", "1"),
)
# Table 9-9 (a), chroma DC 4:2:0.
_TOTAL_ZEROS_CHROMA_DC = ((), ("1", "01", "001", "000"), ("1", "01", "00"), ("1", "0"))
# run_before (Table 9-10) by zerosLeft (7 stands for more than 6), indexed by run_before.
_RUN_BEFORE = (
    (),
    ("1", "0"),
    ("1", "01", "00"),
    ("11", "10", "01", "00"),
    ("11", "10", "01", "001", "000"),
    ("11", "10", "011", "010", "001", "000"),
    ("11", "000", "001", "011", "010", "101", "100"),
    ("111", "110", "101", "100", "011", "010", "001", "0001", "00001", "000001", "0000001", "00000001",
     "000000001", "0000000001", "00000000001"),
)
# fmt: on


def luma_dc_block(levels: Sequence[int]) -> str:
    """residual_block_cavlc (7.3.5.3.2) of an Intra16x16DCLevel block whose nC is below 2, levels in scan order."""
    return _block(levels, _TOKENS_NC0, _TOTAL_ZEROS)


def chroma_dc_block(levels: Sequence[int]) -> str:
    """residual_block_cavlc of a 4:2:0 ChromaDCLevel block (nC = -1)."""
    return _block(levels, _TOKENS_CHROMA_DC, _TOTAL_ZEROS_CHROMA_DC)


def _block(levels: Sequence[int], tokens: Sequence[Sequence[str]], total_zeros: Sequence[Sequence[str]]) -> str:
    placed = [(index, level) for index, level in enumerate(levels) if level]
    total = len(placed)
    trailing = 0
    for _, level in reversed(placed):
        if abs(level) != 1 or trailing == 3:
            break
        trailing += 1
    bits = [tokens[total][trailing]]
    if not total:
        return bits[0]
    highest_first = [level for _, level in reversed(placed)]
    bits += ["1" if level < 0 else "0" for level in highest_first[:trailing]]
    suffix_length = 1 if total > 10 and trailing < 3 else 0
    for number, level in enumerate(highest_first[trailing:]):
        code = 2 * level - 2 if level > 0 else -2 * level - 1
        if number == 0 and trailing < 3:
            code -= 2  # a first level after fewer than three trailing ones is never +-1 (9.2.2.1)
        bits.append(_level(code, suffix_length))
        suffix_length = max(suffix_length, 1)
        if abs(level) > 3 << (suffix_length - 1) and suffix_length < 6:
            suffix_length += 1
    zeros = placed[-1][0] + 1 - total
    if total < len(levels):
        bits.append(total_zeros[total][zeros])
    for (index, _), (below, _) in zip(reversed(placed), reversed(placed[:-1]), strict=False):
        if zeros <= 0:
            break
        run = index - below - 1
        bits.append(_RUN_BEFORE[min(zeros, 7)][run])
        zeros -= run
    return "".join(bits)


def _level(code: int, suffix_length: int) -> str:
    """level_prefix and level_suffix (9.2.2.1) of a levelCode."""
    prefix, suffix = 0, code
    while True:
        size = suffix_length
        if prefix == 14 and size == 0:
            size = 4
        if prefix >= 15:
            size = prefix - 3
        if suffix < 1 << size:
            return "0" * prefix + "1" + (format(suffix, f"0{size}b") if size else "")
        suffix -= 1 << size
        prefix += 1
