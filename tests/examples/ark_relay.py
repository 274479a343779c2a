"""A small relay in front of Volcengine Ark, as a gateway team writes one (new-api's doubao adaptor does the same):
its own API, `POST /v1/videos` and `GET /v1/videos/{id}`, turned into Ark content-generation calls, Ark's statuses
and error codes turned into its own. It asks Ark to call it back (`POST /ark/callback`) and answers from what the
callbacks told it, so a client's polls cost it no upstream call once a task has called back.

It knows nothing of the mock: it sends a bearer key and reads Ark's `{"error": {code, message, param, type}}`. Its
tests point it at the mock instead of https://ark.cn-beijing.volces.com/api/v3.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MODEL = "doubao-seedance-1-0-pro-250528"
STATUSES = {"queued": "queued", "running": "in_progress", "succeeded": "succeeded", "cancelled": "cancelled"}
FINAL = ("succeeded", "failed", "expired", "cancelled")


class Upstream(Protocol):
    def post(self, url: str, *, json: Any, headers: dict[str, str]) -> Any: ...

    def get(self, url: str, *, headers: dict[str, str]) -> Any: ...


class ArkRelay:
    def __init__(self, upstream: Upstream, base_url: str, api_key: str, callback_url: str | None = None) -> None:
        """`base_url`: Ark's, ending in /api/v3. `callback_url`: where Ark reaches this relay's /ark/callback."""
        self.upstream, self.base_url, self.api_key = upstream, base_url.rstrip("/"), api_key
        self.callback_url = callback_url
        self.called_back: dict[str, dict[str, Any]] = {}
        """The last task object each task's callbacks brought, by task id."""
        self.app = Starlette(
            routes=[
                Route("/v1/videos", self.create, methods=["POST"]),
                Route("/v1/videos/{task_id}", self.retrieve, methods=["GET"]),
                Route("/ark/callback", self.callback, methods=["POST"]),
            ]
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    async def create(self, request: Request) -> JSONResponse:
        asked = await request.json()
        content: list[dict[str, Any]] = []
        if asked.get("image_url"):
            content.append({"type": "image_url", "image_url": {"url": asked["image_url"]}, "role": "first_frame"})
        content.append({"type": "text", "text": asked["prompt"]})  # the prompt last, as new-api sends it
        body: dict[str, Any] = {"model": MODEL, "content": content, "duration": int(asked.get("seconds", 5))}
        if "expires_after" in asked:
            body["execution_expires_after"] = asked["expires_after"]
        if self.callback_url:
            body["callback_url"] = self.callback_url
        response = self.upstream.post(f"{self.base_url}/contents/generations/tasks", json=body, headers=self.headers)
        if response.status_code != 200:
            return refused(response)
        return JSONResponse({"id": response.json()["id"], "status": "queued"})

    async def retrieve(self, request: Request) -> JSONResponse:
        task_id = request.path_params["task_id"]
        task = self.called_back.get(task_id)
        if task is None or task["status"] not in FINAL:  # nothing final called back yet: ask Ark
            response = self.upstream.get(f"{self.base_url}/contents/generations/tasks/{task_id}", headers=self.headers)
            if response.status_code != 200:
                return refused(response)
            task = response.json()
        return JSONResponse(video(task))

    async def callback(self, request: Request) -> JSONResponse:
        """Ark's callback: the task object. Statuses may arrive late, twice or out of order: an older one never
        replaces a newer one."""
        task = await request.json()
        known = self.called_back.get(task["id"])
        if known is None or task["updated_at"] >= known["updated_at"]:
            self.called_back[task["id"]] = task
        return JSONResponse({})


def video(task: dict[str, Any]) -> dict[str, Any]:
    """An Ark task object as the relay's video."""
    answer: dict[str, Any] = {"id": task["id"]}
    if task["status"] in ("failed", "expired"):
        return answer | {"status": "failed", "reason": task["error"]["code"]}
    answer["status"] = STATUSES[task["status"]]
    if task["status"] == "succeeded":
        answer["url"] = task["content"]["video_url"]
    return answer


def refused(response: Any) -> JSONResponse:
    """Ark's error as the relay's: its own key refused is the relay's fault (502); rate limits are the caller's to
    retry (429); moderation and invalid parameters are the caller's request (400); an unknown task is 404."""
    found = response.json()["error"]
    code, message = found["code"], found["message"]
    if response.status_code in (401, 403):
        return error(502, "upstream_auth", f"{code}: {message}")
    if response.status_code == 429:
        return error(429, "rate_limited", message, {"Retry-After": response.headers.get("Retry-After", "1")})
    if "SensitiveContentDetected" in code:
        return error(400, "content_refused", code)
    if response.status_code == 404:
        return error(404, "not_found", message)
    if response.status_code == 400:
        return error(400, "invalid_request", f"{found['param']}: {message}")
    return error(502, "upstream_error", f"{code}: {message}")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
