"""OctopusX's errors: new-api's (the gateway software it runs on, `families/newapi.py`: `InvalidRequest` and
`TaskNotExist` in the task shape, `Unauthorized` and `InvalidUrl` in the OpenAI shape), and those of new-api's
video proxy, which answers the `content` route in the OpenAI shape."""

from __future__ import annotations

from mockserver.gateways.families.newapi import InvalidRequest, NewApiError, NewApiShape, TaskNotExist


class ProxyError(NewApiError):
    """An error of the content route (new-api's video proxy), in the OpenAI shape; 5xx are server errors."""

    def __init__(self, status: int, code: str, message: str) -> None:
        error_type = "server_error" if status >= 500 else "invalid_request_error"
        super().__init__(status, code, message, openai_style=True, error_type=error_type)


class InvalidVariant(ProxyError):
    def __init__(self) -> None:
        super().__init__(400, "invalid_variant", "variant must be one of video, thumbnail, spritesheet")


class TaskNotFound(ProxyError):
    def __init__(self) -> None:
        super().__init__(404, "task_not_exist", "Task not found")


class VideoNotReady(ProxyError):
    def __init__(self, state: str) -> None:
        super().__init__(400, "video_not_ready", f"Task is not completed yet, current status: {state}")


class ContentUnavailable(ProxyError):
    def __init__(self, reason: str) -> None:
        super().__init__(502, "content_unavailable", f"Failed to fetch video content: {reason}")


class ContentExpired(ProxyError):
    def __init__(self, expired_at: int) -> None:
        super().__init__(502, "content_expired", f"Failed to fetch video content: the result expired at {expired_at}")


__all__ = [
    "ContentExpired",
    "ContentUnavailable",
    "InvalidRequest",
    "InvalidVariant",
    "NewApiError",
    "NewApiShape",
    "ProxyError",
    "TaskNotExist",
    "TaskNotFound",
    "VideoNotReady",
]
