"""The Volcengine Visual envelope api.gpt.ge answers in, for successes and errors alike:
`{code, data, message, request_id, status, time_elapsed}` (reference gateways.md, B.1).

`request_id` and `time_elapsed` come from the seeded random source and the mock's clock, so the same seed
and the same requests give the same bytes.
"""

from __future__ import annotations

import math
from functools import partial
from statistics import NormalDist
from typing import Any

from starlette.responses import Response

from mockserver.core.randomness import TOKEN_BLOCK
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import JsonResponse
from mockserver.gateways.kit.stamps import utc_stamp

SUCCESS = 10000
BEIJING_OFFSET = 8 * 3600
# Median link times in milliseconds, by kind of answer (upstream examples: 55-105 ms submit, ~500 ms result).
ELAPSED_MS = {"submit": 60.0, "result": 120.0, "error": 15.0}


_STANDARD_NORMAL = NormalDist()
_FAMILIES: dict[str, tuple[str, str, str]] = {}
"""Per gateway, the names of the numbered families an envelope draws from (built once, not per answer)."""
SUFFIX_DIGITS = 20
ELAPSED_DIGITS = 16


def _families(provider_id: str) -> tuple[str, str, str]:
    names = (f"{provider_id}:response", f"{provider_id}:request-id", f"{provider_id}:elapsed")
    return _FAMILIES.setdefault(provider_id, names)


def _request_id_suffixes(text: str) -> list[str]:
    """A block's request-id suffixes: its tokens in upper case."""
    upper = text.upper()
    return [upper[start : start + SUFFIX_DIGITS] for start in range(0, TOKEN_BLOCK * SUFFIX_DIGITS, SUFFIX_DIGITS)]


def _elapsed_texts(log_median_ms: float, text: str) -> list[str]:
    """A block's `time_elapsed` values: each token read as a uniform draw, turned into a lognormal time around
    the median (sigma 0.5) and written with six decimals."""
    normal = _STANDARD_NORMAL.inv_cdf
    draws = (
        int(text[start : start + ELAPSED_DIGITS], 16)
        for start in range(0, TOKEN_BLOCK * ELAPSED_DIGITS, ELAPSED_DIGITS)
    )
    return [f"{math.exp(log_median_ms + 0.5 * normal((bits + 0.5) / 2**64)):.6f}ms" for bits in draws]


_ELAPSED_TEXTS = {kind: partial(_elapsed_texts, math.log(ms)) for kind, ms in ELAPSED_MS.items()}
"""Per kind of answer, how a block's `time_elapsed` values are made (one function each: the block cache's key)."""


def envelope(context: ProviderContext, code: int, message: str, data: Any, kind: str) -> dict[str, Any]:
    """The `request_id` suffix and `time_elapsed` of an answer are fixed by the seed and the answer's number;
    they are made for a block of numbers at once (`RandomSource.numbered_block`)."""
    randomness = context.randomness
    response, request_id, elapsed_ms = _FAMILIES.get(context.provider_id) or _families(context.provider_id)
    number = randomness.next_number(response)
    suffixes, index = randomness.numbered_block(request_id, number, SUFFIX_DIGITS, _request_id_suffixes)
    elapsed, _ = randomness.numbered_block(elapsed_ms, number, ELAPSED_DIGITS, _ELAPSED_TEXTS[kind])
    return {
        "code": code,
        "data": data,
        "message": message,
        "request_id": utc_stamp(context.clock.now() + BEIJING_OFFSET, "%Y%m%d%H%M%S") + suffixes[index],
        "status": code,
        "time_elapsed": elapsed[index],
    }


def success(context: ProviderContext, data: Any, kind: str) -> Response:
    return JsonResponse(envelope(context, SUCCESS, "Success", data, kind))
