"""The yardstick: a bare Starlette app with the mock's kinds of routes and nothing else.

A submit stores a small dict and returns JSON; a poll looks it up (by its path, or by a JSON body's
`task_id`); a clock read returns the time;
a file route answers bytes of a given length, honouring a simple `Range: bytes=a-b`.
The signed submit and poll do the same once they have checked the request's Volcengine signature (V4, HMAC-SHA256),
as a hand-rolled fake of a signed Action API would: written plainly with hashlib and hmac, nothing shared with the
mock, so a signed gateway's rows compare like with like.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_tasks: dict[str, dict[str, Any]] = {}
_ids = itertools.count(1)
_files: dict[int, bytes] = {}


async def submit(request: Request) -> Response:
    body = await request.json()
    task_id = str(next(_ids))
    _tasks[task_id] = {"task_id": task_id, "status": "queued", "created_at": int(time.time()), "model": body["model"]}
    return JSONResponse({"id": task_id, "task_id": task_id, "status": "", "progress": 0})


async def poll(request: Request) -> Response:
    task = _tasks.get(request.path_params["task_id"])
    if task is None:
        return JSONResponse({"code": "task_not_exist", "message": "task_not_exist", "data": None}, status_code=400)
    return JSONResponse({"code": "success", "message": "", "data": task})


async def poll_posted(request: Request) -> Response:
    """A poll that names its task in a JSON body, as Volcengine's GetResult does."""
    body = await request.json()
    task = _tasks.get(body["task_id"])
    if task is None:
        return JSONResponse({"code": "task_not_exist", "message": "task_not_exist", "data": None}, status_code=400)
    return JSONResponse({"code": "success", "message": "", "data": task})


ACCESS_KEY = "AKLTbench-bare-app"
SECRET_KEY = "bench-bare-app-secret"
"""The one key pair the signed routes accept."""
MAX_SKEW = 24 * 3600.0
"""Seconds an X-Date may be from the machine's time. The bench signs its loads once, at the start of a run (about 13
minutes, longer with a longer `--duration`): a day keeps them valid, and the check costs the same whatever the
window."""


def signature_is_valid(request: Request, body: bytes) -> bool:
    """The request's `Authorization: HMAC-SHA256 Credential=AK/date/region/service/request, SignedHeaders=...,
    Signature=...` recomputed from the headers it names, the sorted query and the body's SHA-256. Written as a careful
    fake would write it (the signing key kept per day, the path and query read from the scope), so that the yardstick
    is not slower than it needs to be."""
    algorithm, _, fields = request.headers.get("authorization", "").partition(" ")
    parts = dict(field.strip().split("=", 1) for field in fields.split(",") if "=" in field)
    credential = parts.get("Credential", "").split("/")
    if algorithm != "HMAC-SHA256" or len(credential) != 5 or "SignedHeaders" not in parts:
        return False
    access_key, date, region, service, terminator = credential
    if access_key != ACCESS_KEY or terminator != "request":
        return False
    x_date = request.headers.get("x-date", "")
    try:
        signed_at = datetime.fromisoformat(x_date).timestamp()
    except ValueError:
        return False
    if len(x_date) != 16 or abs(signed_at - time.time()) > MAX_SKEW:
        return False
    names = parts["SignedHeaders"].split(";")
    query = sorted(parse_qsl(request.scope["query_string"].decode(), keep_blank_values=True))
    canonical_request = "\n".join(
        [
            request.method,
            quote(request.scope["path"], safe="/~"),
            "&".join(f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in query),
            "".join(f"{name}:{request.headers.get(name, '').strip()}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{region}/{service}/request"
    hashed = hashlib.sha256(canonical_request.encode()).hexdigest()
    string_to_sign = "\n".join(["HMAC-SHA256", x_date, scope, hashed])
    expected = hmac.new(signing_key(date, region, service), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("Signature", ""))


@functools.cache
def signing_key(date: str, region: str, service: str) -> bytes:
    key = SECRET_KEY.encode()
    for part in (date, region, service, "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def refused() -> Response:
    error = {"Code": "SignatureDoesNotMatch", "Message": "The request signature we calculated does not match"}
    return JSONResponse({"ResponseMetadata": {"Error": error}}, status_code=401)


async def signed_submit(request: Request) -> Response:
    body = await request.body()
    if not signature_is_valid(request, body):
        return refused()
    return await submit(request)


async def signed_poll(request: Request) -> Response:
    body = await request.body()
    if not signature_is_valid(request, body):
        return refused()
    return await poll_posted(request)


async def clock(request: Request) -> Response:
    return JSONResponse({"now": time.time(), "mode": "system", "scale": 1.0})


async def file(request: Request) -> Response:
    size: int = request.path_params["size"]
    body = _files.setdefault(size, bytes(size))
    byte_range = request.headers.get("range", "")
    if byte_range.startswith("bytes="):
        first, _, last = byte_range[6:].partition("-")
        start, end = int(first), min(int(last), size - 1)
        headers = {"content-range": f"bytes {start}-{end}/{size}"}
        return Response(body[start : end + 1], status_code=206, media_type="video/mp4", headers=headers)
    return Response(body, media_type="video/mp4")


app = Starlette(
    routes=[
        Route("/submit", submit, methods=["POST"]),
        Route("/poll/{task_id}", poll, methods=["GET"]),
        Route("/poll", poll_posted, methods=["POST"]),
        Route("/signed/submit", signed_submit, methods=["POST"]),
        Route("/signed/poll", signed_poll, methods=["POST"]),
        Route("/clock", clock, methods=["GET"]),
        Route("/file/{size:int}", file, methods=["GET"]),
    ]
)
