"""A tiny application that makes videos through the Crazyrouter gateway: submit, poll with back-off, download.

It is what a team would write, and knows nothing of the mock. Its clock and sleep are injectable, so its
tests can run it on the mock's virtual clock: a two-minute generation then takes milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


class VideoError(Exception):
    pass


class AuthenticationFailed(VideoError):
    pass


class TaskNotFound(VideoError):
    pass


class GenerationFailed(VideoError):
    pass


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
    sleep: Callable[[float], object] = time.sleep
    clock: Callable[[], float] = time.monotonic
    http: httpx.Client = field(default_factory=httpx.Client)

    def make_video(self, prompt: str, *, duration: int = 5, aspect_ratio: str = "16:9") -> bytes:
        task_id = self.submit(prompt, duration=duration, aspect_ratio=aspect_ratio)
        return self.download(self.wait(task_id))

    def submit(self, prompt: str, *, duration: int = 5, aspect_ratio: str = "16:9") -> str:
        body = {"model": "jimeng-video-3.0", "prompt": prompt, "duration": duration, "aspect_ratio": aspect_ratio}
        response = self.http.post(f"{self.base_url}/jimeng/submit/videos", json=body, headers=self._auth())
        self._check(response)
        task_id: str = response.json()["task_id"]
        return task_id

    def wait(self, task_id: str) -> str:
        """Poll until the task ends, backing off between polls; the result URL."""
        started = self.clock()
        delay = self.first_delay
        while True:
            response = self.http.get(f"{self.base_url}/jimeng/fetch/{task_id}", headers=self._auth())
            self._check(response)
            data = response.json()["data"]
            if data["status"] == "succeeded":
                url: str = data["url"]
                return url
            if data["status"] == "failed":
                raise GenerationFailed(f"task {task_id} failed: {data['error']}")
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

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code == 401:
            raise AuthenticationFailed(response.json()["error"]["message"])
        if response.status_code == 400 and response.json().get("code") == "task_not_exist":
            raise TaskNotFound(response.json()["message"])
        response.raise_for_status()
