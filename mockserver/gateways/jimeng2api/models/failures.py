"""How tasks fail inside the server (reference A.5, A.6, A.9, part D), free of HTTP.

A failure is the task's `error` ({message, type, code}) plus where it happens. Scripted failures come from the
contract's error catalogue: an entry's `task_error` (`image_task_error` for image tasks). The same error escaping
a route instead is rendered by the server's FailureBody, which infers the HTTP status from the errcode (A.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LOGGED_OUT = "[登录失效]: login error。请重新获取refresh_token并更新配置"


@dataclass
class TaskFailure:
    message: str
    code: str | int
    type: str = "api_error"
    at_progress: int | None = None
    """Where generation stops (1..99); None: as soon as the task runs."""
    poll_budget: bool = False
    """The poller's own timeout: the task runs for the whole poll budget first."""

    def error(self) -> dict[str, Any]:
        return {"message": self.message, "type": self.type, "code": self.code}


def entry_error(entry: Mapping[str, Any], kind: str = "video") -> dict[str, Any]:
    """The `error` a task of `kind` (video | image) reports for a catalogue entry."""
    error = entry.get("image_task_error") if kind == "image" else None
    error = error or entry.get("task_error")
    if error is None:
        return {"message": str(entry["message"]), "type": str(entry.get("type", "api_error")), "code": entry["code"]}
    return {"message": str(error["message"]), "type": str(error.get("type", "api_error")), "code": error["code"]}


def from_entry(entry: Mapping[str, Any] | None, kind: str, at_progress: int | None = None) -> TaskFailure:
    """The failure a catalogue entry gives a task; an unknown reference fails as the server's default does."""
    if entry is None:
        return TaskFailure("Task failed", "task_failed", at_progress=at_progress)
    error = entry_error(entry, kind)
    return TaskFailure(
        error["message"], error["code"], error["type"], at_progress, entry.get("runs_for") == "poll_budget"
    )


_INFERRED: dict[int, tuple[int, str, str]] = {
    -2000: (400, "invalid_request_error", "invalid_request"),
    -2002: (401, "authentication_error", "invalid_api_key"),
    -2004: (413, "invalid_request_error", "payload_too_large"),
    -2006: (403, "content_policy_error", "content_filtered"),
    -2009: (402, "insufficient_quota", "insufficient_quota"),
}


def failure_body(errcode: str | int) -> tuple[int, str, str | int]:
    """FailureBody's inference for an APIException without explicit options: (HTTP status, type, code)."""
    if isinstance(errcode, int) and errcode in _INFERRED:
        return _INFERRED[errcode]
    if errcode in (-2001, -2007, -2008):
        return 502, "api_error", errcode
    return 500, "api_error", errcode if isinstance(errcode, int) else "internal_error"
