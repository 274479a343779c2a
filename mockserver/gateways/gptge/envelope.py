"""The Volcengine Visual envelope api.gpt.ge answers in, for successes and errors alike:
`{code, data, message, request_id, status, time_elapsed}` (reference gateways.md, B.1).

`request_id` and `time_elapsed` come from the seeded random source and the mock's clock, so the same seed
and the same requests give the same bytes.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from starlette.responses import Response

from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import JsonResponse
from mockserver.gateways.kit.stamps import utc_stamp

SUCCESS = 10000
BEIJING_OFFSET = 8 * 3600
# Median link times in milliseconds, by kind of answer (upstream examples: 55-105 ms submit, ~500 ms result).
ELAPSED_MS = {"submit": 60.0, "result": 120.0, "error": 15.0}


_STANDARD_NORMAL = NormalDist()
SUFFIX_DIGITS = 20
ELAPSED_DIGITS = 16


def elapsed_text(median_ms: float, token: str) -> str:
    """A `time_elapsed` value: the hex token read as a uniform draw, turned into a lognormal time around the median
    (sigma 0.5) and written with six decimals."""
    uniform = (int(token, 16) + 0.5) / 2**64
    return f"{math.exp(math.log(median_ms) + 0.5 * _STANDARD_NORMAL.inv_cdf(uniform)):.6f}ms"


def envelope(context: ProviderContext, code: int, message: str, data: Any, kind: str) -> dict[str, Any]:
    """The `request_id` suffix and `time_elapsed` of an answer are fixed by the seed and the answer's number."""
    randomness, provider_id = context.randomness, context.provider_id
    number = randomness.event_number(f"{provider_id}:response")
    suffix = randomness.numbered_token(f"{provider_id}:request-id", number, SUFFIX_DIGITS).upper()
    elapsed = randomness.numbered_token(f"{provider_id}:elapsed", number, ELAPSED_DIGITS)
    return {
        "code": code,
        "data": data,
        "message": message,
        "request_id": utc_stamp(context.clock.now() + BEIJING_OFFSET, "%Y%m%d%H%M%S") + suffix,
        "status": code,
        "time_elapsed": elapsed_text(ELAPSED_MS[kind], elapsed),
    }


def success(context: ProviderContext, data: Any, kind: str) -> Response:
    return JsonResponse(envelope(context, SUCCESS, "Success", data, kind))
