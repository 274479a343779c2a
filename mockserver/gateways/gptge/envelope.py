"""The Volcengine Visual envelope api.gpt.ge answers in, for successes and errors alike:
`{code, data, message, request_id, status, time_elapsed}` (reference gateways.md, B.1).

`request_id` and `time_elapsed` come from the seeded random source and the mock's clock, so the same seed
and the same requests give the same bytes.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedHeader, MalformedJson, bearer_token
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.scenarios import UnknownScenario

SUCCESS = 10000
ACCESS_DENIED = 50400
INPUT_INVALID = 50215
INTERNAL_ERROR = 50500
BEIJING_OFFSET = 8 * 3600
# Median link times in milliseconds, by kind of answer (upstream examples: 55-105 ms submit, ~500 ms result).
ELAPSED_MS = {"submit": 60.0, "result": 120.0, "error": 15.0}


class VolcError(Exception):
    """An answer with a business code other than 10000."""

    def __init__(
        self, http_status: int, code: int, message: str, data: Any = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.data = data
        self.retry_after = retry_after


def input_invalid(reason: str, http_status: int = 400) -> VolcError:
    return VolcError(http_status, INPUT_INVALID, f"Input invalid for this service: {reason}")


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
    number = randomness.next_number(f"{provider_id}:response")
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


def error_response(context: ProviderContext, error: VolcError) -> Response:
    body = envelope(context, error.code, error.message, error.data, "error")
    headers = {}
    if error.retry_after is not None:
        seconds = float(error.retry_after)
        headers["Retry-After"] = str(int(seconds)) if seconds.is_integer() else str(seconds)
    return JsonResponse(body, status_code=error.http_status, headers=headers)


def scripted_error(context: ProviderContext, error: ScriptedError) -> VolcError:
    """A scenario's error: its catalogue entry's code and message at the scripted HTTP status. A bare status
    takes the catalogue's rate limit for 429 and its internal error for 5xx (assumed); any other is 50215."""
    entry = error.entry
    if entry is None and (error.status == 429 or error.status >= 500):
        entry = context.contract.error("rate_limited" if error.status == 429 else "internal_error")
    if entry is None:
        return input_invalid(f"scripted fault HTTP {error.status}", error.status)
    retry_after = error.retry_after if error.retry_after is not None else entry.get("retry_after")
    return VolcError(error.status, int(entry["code"]), str(entry["message"]), retry_after=retry_after)


def authenticate(request: Request, context: ProviderContext) -> str:
    """The caller's bearer key; raises 50400 Access Denied when it is missing or not accepted."""
    key = bearer_token(request)
    if key is None:
        raise VolcError(401, ACCESS_DENIED, "Access Denied: send Authorization: Bearer <token>")
    if not key:
        raise VolcError(401, ACCESS_DENIED, "Access Denied: the Authorization header is not a Bearer token")
    accepted = context.settings.api_keys
    if accepted is not None and key not in accepted:
        raise VolcError(401, ACCESS_DENIED, "Access Denied: invalid token")
    return key


def exception_handlers(context: ProviderContext) -> dict[Any, Any]:
    """Starlette exception handlers that answer every failure in the envelope, never with a crash."""

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VolcError)
        return error_response(context, exc)

    async def on_too_large(request: Request, exc: Exception) -> Response:
        return error_response(context, input_invalid(str(exc), 413))

    async def on_malformed(request: Request, exc: Exception) -> Response:
        return error_response(context, input_invalid(str(exc)))

    async def on_http(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status in (404, 405):
            return error_response(context, input_invalid(f"no route {request.method} {request.url.path}", 404))
        return error_response(context, VolcError(status, INPUT_INVALID, str(exc)))

    async def on_scripted(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ScriptedError)
        return error_response(context, scripted_error(context, exc))

    async def on_unknown_scenario(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownScenario)
        return error_response(context, input_invalid(exc.message))

    async def on_crash(request: Request, exc: Exception) -> Response:
        return error_response(
            context, VolcError(500, INTERNAL_ERROR, f"Internal Error: mock internal error ({exc.__class__.__name__})")
        )

    return {
        VolcError: on_error,
        BodyTooLarge: on_too_large,
        MalformedJson: on_malformed,
        MalformedHeader: on_malformed,
        HTTPException: on_http,
        ScriptedError: on_scripted,
        UnknownScenario: on_unknown_scenario,
        Exception: on_crash,
    }
