"""OctopusX's response bodies, built from a task view: new-api's OpenAIVideo and the unified task views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from mockserver.engine import TaskView

CHINA_TIME = timezone(timedelta(hours=8))
UNIFIED_STATUS = {"queued": "processing", "in_progress": "processing", "completed": "completed", "failed": "failed"}


@dataclass
class Results:
    """Where a completed task's files are ("" when its scenario withholds them), from when and until when."""

    video_url: str
    thumbnail_url: str
    expires_at: int
    available_from: int | None = None


def created(view: TaskView) -> dict[str, Any]:
    """The seed's create response: new-api's OpenAIVideo as NewOpenAIVideo() fills it."""
    task = view.task
    return {
        "id": task.id,
        "task_id": task.id,
        "object": "video",
        "model": task.request["model"],
        "status": "queued",
        "progress": 0,
        "created_at": int(task.created_at),
    }


def video(view: TaskView, results: Results | None) -> dict[str, Any]:
    """The OpenAI video object a retrieve or list returns; fields without a value are left out (omitempty)."""
    task = view.task
    body: dict[str, Any] = {
        "id": task.id,
        "task_id": task.id,
        "object": "video",
        "model": task.request["model"],
        "status": view.state,
        "progress": view.progress,
        "created_at": int(task.created_at),
        "seconds": task.request["seconds"],
        "size": task.request["size"],
    }
    if view.terminal and view.finished_at is not None:
        body["completed_at"] = int(view.finished_at)
    if results is not None:
        if results.video_url:
            body["expires_at"] = results.expires_at
            body["video_url"] = results.video_url
    elif view.terminal and not view.succeeded:
        body["error"] = {key: str(value) for key, value in dict(task.schedule.outcome.error or {}).items()}
    return body


def unified_created(view: TaskView) -> dict[str, Any]:
    return {"created_at": go_time(view.task.created_at), "status": "processing", "task_id": view.task.id}


def unified_query(view: TaskView, results: Results | None) -> dict[str, Any]:
    task = view.task
    body: dict[str, Any] = {
        "id": task.id,
        "status": UNIFIED_STATUS[view.state],
        "progress": view.progress,
        "created_at": int(task.created_at),
    }
    if results is not None and view.finished_at is not None:
        body["completed_at"] = int(view.finished_at)
        if results.video_url:
            body |= {"video_url": results.video_url, "thumbnail": results.thumbnail_url}
    elif view.terminal and not view.succeeded:
        body["fail_reason"] = str(dict(task.schedule.outcome.error or {}).get("message", "任务执行失败"))
    return body


def go_time(unix: float) -> str:
    """Go's time.RFC3339Nano in China time, as new-api prints a time.Time: trailing zeros of the fraction dropped."""
    seconds = int(unix)
    nanos = min(999_999_999, round((unix - seconds) * 1e9))
    stamp = datetime.fromtimestamp(seconds, CHINA_TIME).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return f"{stamp}{fraction}+08:00"
