"""A task's story for the dashboard (`GET /__admin/tasks/{id}/timeline`): its schedule on the mock's clock, the
faults its scenario scripts, its polls and answers as the journal holds them, and the result files they name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from mockserver.cassettes import redact_body, redact_headers
from mockserver.engine import TaskView, current_phase
from mockserver.media.routes import MEDIA_PREFIX
from mockserver.scenarios import Scenario, UnknownScenario
from mockserver.server.journal import JournalEntry
from mockserver.server.runtime import MockRuntime

_IMAGES = (".png", ".jpg", ".jpeg", ".webp")


def timeline(runtime: MockRuntime, view: TaskView) -> dict[str, Any]:
    task = view.task
    entries = runtime.journal.entries(task=task.id)
    return {
        "task": view.to_dict(),
        "clock": runtime.clock.describe(),
        "steps": steps(view),
        "outcome": outcome(view),
        "script": script(_scenario(runtime, task.scenario)),
        "exchanges": [exchange(entry) for entry in entries],
        "media": media(entries),
    }


def steps(view: TaskView) -> list[dict[str, Any]]:
    """Each step with when it starts and ends on the clock (a poll-keyed step: after how many polls), and which
    one the task is in."""
    task = view.task
    origin = task.created_at + task.status_lag
    elapsed = max(view.now - origin, 0.0)
    current = None if view.terminal else current_phase(task.schedule, elapsed, task.polls)
    shown, starts_at = [], task.created_at
    for phase in task.schedule.phases:
        ends_at = None if phase.until_seconds is None else origin + phase.until_seconds
        shown.append(
            {
                "state": phase.state,
                "progress": list(phase.progress),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "ends_after_polls": phase.until_polls,
                "current": phase is current,
            }
        )
        starts_at = ends_at if ends_at is not None else starts_at
    return shown


def outcome(view: TaskView) -> dict[str, Any]:
    """The terminal state the schedule ends in, when (reached, or due on the clock alone), and where a failure
    cuts the progress."""
    task = view.task
    phases = task.schedule.phases
    due = None
    if phases and all(p.until_seconds is not None for p in phases):
        due = task.created_at + task.status_lag + (phases[-1].until_seconds or 0.0)
    error = task.schedule.outcome.error
    return {
        "state": task.schedule.outcome.state,
        "error": None if error is None else dict(error),
        "failed": error is not None,
        "at_progress": phases[-1].progress[1] if error is not None and phases else None,
        "reached": view.terminal,
        "at": task.finished_at if task.finished_at is not None else due,
    }


def script(scenario: Scenario | None) -> list[str]:
    """What the task's scenario scripts, one line each, as the timeline marks them."""
    if scenario is None:
        return ["its scenario is not in this instance's library"]
    lines = []
    if scenario.stuck:
        lines.append(f"stays {scenario.stuck} forever")
    if scenario.fail is not None:
        where = f" at {scenario.fail.at_progress}%" if scenario.fail.at_progress is not None else ""
        lines.append(f"fails with {scenario.fail.error}{where}")
    if scenario.status_lag:
        lines.append(f"status changes arrive {scenario.status_lag:g} s late")
    for fault in scenario.polls:
        if fault.nth is not None:
            which = f"poll {fault.nth}"
        else:
            which = f"polls {fault.first}" + (f" to {fault.last}" if fault.last is not None else " on")
        answer = fault.error or (f"fault {fault.network.fault}" if fault.network and fault.network.fault else "")
        status = f" {fault.status}" if fault.status is not None else ""
        chance = f" (p {fault.p:g})" if fault.p < 1 else ""
        lines.append(f"{which}:{status} {answer}{chance}".replace("  ", " ").rstrip())
    result = scenario.result
    if not result.url:
        lines.append("the result has no URL")
    if result.unavailable_for:
        lines.append(f"the result URL answers 404 for {result.unavailable_for:g} s after success")
    if result.ttl is not None:
        lines.append(f"the result URL lives {result.ttl:g} s")
    return lines


def exchange(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry of the task as the dashboard lists it, credentials masked."""
    return {
        "seq": entry.seq,
        "time": entry.time,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "request_body": redact_body(entry.request_body.encode()).decode("utf-8", "replace"),
        "response_headers": redact_headers(entry.response_headers.items()),
        "response_body": redact_body(entry.response_body.encode()).decode("utf-8", "replace"),
    }


def media(entries: list[JournalEntry]) -> list[dict[str, Any]]:
    """The result files named by the newest answer that names any: each URL with its kind and its expiry."""
    for entry in reversed(entries):
        if not 200 <= entry.status < 300 or not entry.response_body:
            continue
        try:
            answer = orjson.loads(entry.response_body)
        except orjson.JSONDecodeError:
            continue
        found = []
        for url in dict.fromkeys(_media_urls(answer)):
            parts = urlsplit(url)
            expires = parse_qs(parts.query).get("expires", [""])[0]
            kind = "video" if parts.path.endswith(".mp4") else "image" if parts.path.endswith(_IMAGES) else "file"
            found.append({"url": url, "kind": kind, "expires": int(expires) if expires.isdigit() else None})
        if found:
            return found
    return []


def _media_urls(answer: Any) -> Iterator[str]:
    if isinstance(answer, str):
        if f"{MEDIA_PREFIX}/" in answer and answer.startswith(("http://", "https://")):
            yield answer
    elif isinstance(answer, dict):
        for value in answer.values():
            yield from _media_urls(value)
    elif isinstance(answer, list):
        for value in answer:
            yield from _media_urls(value)


def _scenario(runtime: MockRuntime, name: str) -> Scenario | None:
    try:
        return runtime.scenarios.get(name)
    except UnknownScenario:
        return None
