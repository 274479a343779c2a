"""Volcengine Visual's async video tasks as the service answers for them, and as the gateways that relay it answer
(api.gpt.ge forwards its shapes; reference gateways.md, B.1): the business envelope `{code, data, message,
request_id, status, time_elapsed}`, a task's record in `data`, its ids and seeds, and the result poll.

`request_id` and `time_elapsed` come from the seeded random source and the mock's clock, so the same seed
and the same requests give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from statistics import NormalDist
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.core.randomness import draw_between
from mockserver.core.streams import Draws
from mockserver.engine import TaskView
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import JsonResponse, dump_json, mark_task
from mockserver.gateways.kit.stamps import utc_stamp

SUCCESS = 10000
BEIJING_OFFSET = 8 * 3600
# Median link times in milliseconds, by kind of answer (upstream examples: 55-105 ms submit, ~500 ms result).
ELAPSED_MS = {"submit": 60.0, "result": 120.0, "error": 15.0}
RANDOM_SEED = -1

L20_SIZES = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "9:21": (720, 1680),
    "1:1": (960, 960),
    "4:3": (960, 720),
    "3:4": (720, 960),
    "21:9": (1680, 720),
}
"""The S2.0 Pro req_keys' (jimeng_vgfm_*_l20) aspect ratios and the resolutions api.gpt.ge lists for them (720P)."""

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


def task_data(status: str, video_url: str = "", resp: str = "") -> dict[str, Any]:
    """A video task's record, the `data` of a result poll: `status` is in_queue, generating, done, not_found or
    expired."""
    return {"binary_data_base64": [], "image_urls": None, "resp_data": resp, "status": status, "video_url": video_url}


def task_failure(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What a failed task keeps to answer its polls with: the catalogue entry's HTTP status, code and message."""
    return {"http_status": int(entry["http_status"]), "code": int(entry["code"]), "message": str(entry["message"])}


def new_task_id(rng: Draws) -> str:
    """Upstream ids are unsigned 64-bit numbers in decimal (19 or 20 digits)."""
    return str(draw_between(rng, 10**18, 2**64))


def effective_seed(request: Mapping[str, Any], task_seed: int) -> int:
    """The seed the result is rendered with: the client's when it is not -1, else one drawn for the task."""
    seed = int(request["seed"])
    return task_seed if seed == RANDOM_SEED else seed


def video_seed(request: Mapping[str, Any], task_seed: int) -> int:
    """What the video's look derives from. A client seed with the same parameters gives the same video."""
    if int(request["seed"]) == RANDOM_SEED:
        return task_seed
    inputs = [request[k] for k in ("seed", "mode", "prompt", "aspect_ratio", "image_digest")]
    return int.from_bytes(hashlib.sha256(json.dumps(inputs).encode()).digest()[:4], "big")


def resp_data(request: Mapping[str, Any], task_seed: int) -> str:
    """The JSON string a finished task reports in data.resp_data (its content is the mock's, assumed)."""
    info = {
        "req_key": request["req_key"],
        "seed": effective_seed(request, task_seed),
        "aspect_ratio": request["aspect_ratio"],
        "width": request["width"],
        "height": request["height"],
        "fps": request["fps"],
        "frames": request["frames"],
    }
    return dump_json({"infer_ctx": info}).decode()  # json.dumps(..., separators=(",", ":")): all ASCII


TaskFailed = Callable[[int, int, str, dict[str, Any]], Exception]
"""A gateway's business error from a failed task's HTTP status, code, message and record."""


def result_answer(
    request: Request,
    context: ProviderContext,
    view: TaskView | None,
    task_ttl: float,
    failed: TaskFailed,
    done: Callable[[TaskView], Response],
) -> Response:
    """The answer to a result poll: a record saying not_found, expired or the state the task is in, the task's
    failure raised as the gateway's business error, or `done`'s answer for a finished task. A scenario's poll fault
    is raised first."""
    if view is None:
        return success(context, task_data("not_found"), "result")
    mark_task(request, view.task.id)
    scripting.raise_poll_fault(request, context, view)
    if view.now - view.task.created_at >= task_ttl:
        return success(context, task_data("expired"), "result")
    if not view.terminal:
        return success(context, task_data(view.state), "result")
    error = view.task.schedule.outcome.error
    if error is not None:
        raise failed(error["http_status"], error["code"], error["message"], task_data("done"))
    return done(view)
