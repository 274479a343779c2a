"""The yardstick: a bare Starlette app with the mock's kinds of routes and nothing else.

A submit stores a small dict and returns JSON; a poll looks it up (by its path, or by a JSON body's
`task_id`); a clock read returns the time;
a file route answers bytes of a given length, honouring a simple `Range: bytes=a-b`.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

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
        Route("/clock", clock, methods=["GET"]),
        Route("/file/{size:int}", file, methods=["GET"]),
    ]
)
