"""A tiny application that makes videos through the Crazyrouter gateway: submit, poll with back-off, download.

It is what a team would write, and knows nothing of the mock. Its clock and sleep are injectable, so its
tests can run it on the mock's virtual clock: a two-minute generation then takes milliseconds.

Every way the gateway can say no is a typed exception. A 429 is retried after the `Retry-After` it names
(submits too: a 429 means nothing was created); polls also ride out 502/503/504. Nothing else is retried,
least of all a refused payment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SUBMIT_RETRY_STATUSES = frozenset({429})
POLL_RETRY_STATUSES = frozenset({429, 502, 503, 504})
MODERATION_MARK = "Risk Not Pass"  # how the Volcengine upstream words every moderation refusal


class VideoError(Exception):
    pass


class AuthenticationFailed(VideoError):
    pass


class TaskNotFound(VideoError):
    pass


class InsufficientCredits(VideoError):
    """The account cannot pay for the video: top it up; retrying will not help."""


class RateLimited(VideoError):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GatewayError(VideoError):
    """Any other answer the application has no meaning for."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class GenerationFailed(VideoError):
    def __init__(self, reason: str, task_id: str | None = None) -> None:
        where = f"task {task_id}" if task_id else "the submit"
        super().__init__(f"{where} failed: {reason}")
        self.reason = reason
        self.task_id = task_id
        """None when the gateway refused the submit, so no task exists."""


class ContentRejected(GenerationFailed):
    """Moderation refused the prompt, the image, or the generated video: change the content, don't retry."""


class GenerationTimedOut(VideoError):
    pass


class ResultExpired(VideoError):
    pass


@dataclass
class VideoApp:
    base_url: str
    api_key: str
    timeout: float = 600.0
    """Seconds to wait for a task before giving up."""
    first_delay: float = 2.0
    max_delay: float = 30.0
    max_attempts: int = 4
    """Tries of one request that the gateway answers with a retryable status."""
    sleep: Callable[[float], object] = time.sleep
    clock: Callable[[], float] = time.monotonic
    http: httpx.Client = field(default_factory=httpx.Client)

    def make_video(self, prompt: str, *, duration: int = 5, aspect_ratio: str = "16:9") -> bytes:
        task_id = self.submit(prompt, duration=duration, aspect_ratio=aspect_ratio)
        return self.download(self.wait(task_id))

    def submit(self, prompt: str, *, duration: int = 5, aspect_ratio: str = "16:9") -> str:
        body = {"model": "jimeng-video-3.0", "prompt": prompt, "duration": duration, "aspect_ratio": aspect_ratio}
        response = self._request("POST", "/jimeng/submit/videos", SUBMIT_RETRY_STATUSES, json=body)
        task_id: str = response.json()["task_id"]
        return task_id

    def wait(self, task_id: str) -> str:
        """Poll until the task ends, backing off between polls; the result URL."""
        started = self.clock()
        delay = self.first_delay
        while True:
            data = self._request("GET", f"/jimeng/fetch/{task_id}", POLL_RETRY_STATUSES).json()["data"]
            if data["status"] == "succeeded":
                url: str = data["url"]
                return url
            if data["status"] == "failed":
                raise _failure(data["error"]["message"], task_id)
            if self.clock() - started + delay > self.timeout:
                raise GenerationTimedOut(f"task {task_id} still {data['status']} after {self.timeout:g} s")
            self.sleep(delay)
            delay = min(delay * 1.5, self.max_delay)

    def download(self, url: str) -> bytes:
        response = self.http.get(url)
        if response.status_code == 403:
            raise ResultExpired(f"the result URL no longer works: {response.text[:200]}")
        response.raise_for_status()
        return response.content

    def _request(self, method: str, path: str, retry_on: frozenset[int], **kwargs: Any) -> httpx.Response:
        """Send, retrying the statuses in `retry_on`: after `Retry-After` when the gateway gives one, else
        after a growing back-off. The answer, or the typed error of the last one."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        for attempt in range(1, self.max_attempts + 1):
            response = self.http.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)
            if response.status_code not in retry_on or attempt == self.max_attempts:
                break
            retry_after = _retry_after(response)
            backoff = min(self.first_delay * 2 ** (attempt - 1), self.max_delay)
            self.sleep(backoff if retry_after is None else retry_after)
        _check(response)
        return response


def _check(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    body = _json(response)
    error = body.get("error")  # {"error": {"message"}} (new-api's own errors) or {"code", "message"} (task errors)
    message = str((error if isinstance(error, dict) else body).get("message") or response.text[:200])
    if status == 401:
        raise AuthenticationFailed(message)
    if status == 429:
        raise RateLimited(message, _retry_after(response))
    if body.get("code") == "task_not_exist":
        raise TaskNotFound(message)
    if body.get("code") == "quota_not_enough":
        raise InsufficientCredits(message)
    if status == 400 and MODERATION_MARK in message:
        raise ContentRejected(message)
    raise GatewayError(status, message)


def _failure(reason: str, task_id: str) -> GenerationFailed:
    kind = ContentRejected if MODERATION_MARK in reason else GenerationFailed
    return kind(reason, task_id)


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (the HTTP-date form is not used by this gateway)."""
    try:
        return max(float(response.headers["Retry-After"]), 0.0)
    except (KeyError, ValueError):
        return None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
