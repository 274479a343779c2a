"""Ark's task object (the SDK's `ContentGenerationTask`), as GET, the list and the callbacks show it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from mockserver.engine import TaskView
from mockserver.gateways.ark.models import usage

OPTIONAL = ("safety_identifier", "priority", "tools", "generate_audio", "draft", "draft_task_id")
"""Request fields the task object repeats when the request had them (or the model has them)."""


class Results(NamedTuple):
    video_url: str
    last_frame_url: str | None


def task_object(
    view: TaskView, status: str, updated_at: float, results: Results | None, error: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The task at `status`, last changed at `updated_at`: `content` and `usage` once succeeded (with `results`),
    `error` once failed or expired."""
    task, request = view.task, view.task.request
    body: dict[str, Any] = {"id": task.id, "model": request["model"], "status": status}
    if error is not None:
        body["error"] = {"code": str(error["code"]), "message": str(error["message"])}
    if results is not None:
        content = {"video_url": results.video_url}
        if results.last_frame_url is not None:
            content["last_frame_url"] = results.last_frame_url
        body["content"] = content
        body["usage"] = usage(request)
    body |= {
        "created_at": math.floor(task.created_at),
        "updated_at": math.floor(updated_at),
        "seed": reported_seed(request, task.seed),
        "resolution": request["resolution"],
        "ratio": request["ratio"],
    }
    if request.get("frames_requested"):
        body["frames"] = request["frames"]
    else:
        body["duration"] = request["duration"]
    body |= {
        "framespersecond": request["fps"],
        "service_tier": request["service_tier"],
        "execution_expires_after": request["execution_expires_after"],
    }
    body |= {name: request[name] for name in OPTIONAL if name in request}
    return body


def reported_seed(request: Mapping[str, Any], drawn: int) -> int:
    """The seed the task ran with: the request's, or (for -1, random) the one drawn for it."""
    seed = int(request["seed"])
    return seed if seed >= 0 else drawn
