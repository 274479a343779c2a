"""A small relay in front of Volcengine Visual, as a gateway team writes one (new-api's Jimeng adaptor does the
same): its own API, `POST /v1/videos` and `GET /v1/videos/{id}`, turned into signed CVSync2AsyncSubmitTask and
CVSync2AsyncGetResult calls, and Volcengine's answers turned into its own statuses.

It knows nothing of the mock: it signs requests itself (signature V4, as the Volcengine SDKs do) and reads the
upstream's two error shapes. Its tests point it at the mock instead of https://visual.volcengineapi.com.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

REQ_KEY = "jimeng_t2v_v30"
STATUSES = {"in_queue": "queued", "generating": "in_progress"}
RATE_LIMITS = {50429, 50430}
MODERATION = range(50411, 50523)


class Upstream(Protocol):
    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Any: ...


def signed_headers(
    access_key: str, secret_key: str, host: str, path: str, query: dict[str, str], body: bytes, now: float
) -> dict[str, str]:
    """Volcengine signature V4 (region cn-north-1, service cv) over content-type, host, x-content-sha256, x-date."""
    x_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    body_hash = hashlib.sha256(body).hexdigest()
    headers = {"content-type": "application/json", "host": host, "x-content-sha256": body_hash, "x-date": x_date}
    names = sorted(headers)
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
    canonical = "\n".join(
        ["POST", path, canonical_query, "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names), body_hash]
    )
    scope = f"{x_date[:8]}/cn-north-1/cv/request"
    to_sign = "\n".join(["HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = secret_key.encode()
    for part in (x_date[:8], "cn-north-1", "cv", "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return {**headers, "authorization": authorization}


class VolcengineRelay:
    def __init__(
        self,
        upstream: Upstream,
        base_url: str,
        access_key: str,
        secret_key: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.upstream, self.base_url = upstream, base_url.rstrip("/")
        self.access_key, self.secret_key, self.clock = access_key, secret_key, clock
        self.app = Starlette(
            routes=[
                Route("/v1/videos", self.create, methods=["POST"]),
                Route("/v1/videos/{task_id}", self.retrieve, methods=["GET"]),
            ]
        )

    def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The upstream's answer body: its status adds nothing the body does not say (both shapes are JSON)."""
        host = self.base_url.split("://", 1)[1].split("/", 1)[0]
        path = self.base_url.split(host, 1)[1] + "/"
        query = {"Action": action, "Version": "2022-08-31"}
        body = json.dumps(payload).encode()
        headers = signed_headers(self.access_key, self.secret_key, host, path, query, body, self.clock())
        url = f"{self.base_url}/?Action={action}&Version=2022-08-31"
        response = self.upstream.post(url, content=body, headers=headers)
        answer: dict[str, Any] = response.json()
        return answer

    async def create(self, request: Request) -> JSONResponse:
        asked = await request.json()
        frames = 241 if asked.get("seconds") == 10 else 121
        answer = self.call("CVSync2AsyncSubmitTask", {"req_key": REQ_KEY, "prompt": asked["prompt"], "frames": frames})
        if "ResponseMetadata" in answer:
            return upstream_refused(answer)
        if answer["code"] in RATE_LIMITS:
            return error(429, "rate_limited", answer["message"], {"Retry-After": "1"})
        if answer["code"] in MODERATION:
            return error(400, "content_refused", answer["message"])
        if answer["code"] != 10000:
            return error(502, "upstream_error", f"{answer['code']} {answer['message']}")
        return JSONResponse({"id": answer["data"]["task_id"], "status": "queued"})

    async def retrieve(self, request: Request) -> JSONResponse:
        task_id = request.path_params["task_id"]
        answer = self.call("CVSync2AsyncGetResult", {"req_key": REQ_KEY, "task_id": task_id})
        if "ResponseMetadata" in answer:
            return upstream_refused(answer)
        if answer["code"] != 10000:  # a task that failed after submit answers its business code
            return JSONResponse({"id": task_id, "status": "failed", "reason": answer["message"]})
        data = answer["data"]
        if data["status"] == "not_found":
            return error(404, "not_found", f"no video {task_id}")
        if data["status"] == "expired":
            return JSONResponse({"id": task_id, "status": "failed", "reason": "expired"})
        if data["status"] == "done":
            return JSONResponse({"id": task_id, "status": "succeeded", "url": data["video_url"]})
        return JSONResponse({"id": task_id, "status": STATUSES[data["status"]]})


def upstream_refused(answer: dict[str, Any]) -> JSONResponse:
    """The gateway in front of Volcengine refused the relay's own credentials: the relay's fault, not the caller's."""
    found = answer["ResponseMetadata"]["Error"]
    return error(502, "upstream_auth", f"{found['Code']}: {found['Message']}")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
