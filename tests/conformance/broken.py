"""A deliberately broken gateway: the in-process mock behind a layer that rewrites its answers (or its
requests) as a drifted gateway would."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from mockserver.conformance import Target
from mockserver.server.app import create_app
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings

# (method, path, status, body or None, headers) -> (status, body, headers)
Rewrite = Callable[[str, str, int, Any, dict[str, str]], tuple[int, Any, dict[str, str]]]
RequestRewrite = Callable[[str, Any], Any]


class Rewriting:
    def __init__(self, app: Any, rewrite: Rewrite | None, rewrite_request: RequestRewrite | None) -> None:
        self.app, self.rewrite, self.rewrite_request = app, rewrite, rewrite_request
        self.exchanges: list[tuple[str, str, int]] = []  # method, path, status: what the gateway saw

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if self.rewrite_request is not None:
            receive = await self._rewritten(receive, path)
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        headers = {k.decode().lower(): v.decode() for k, v in started["headers"]}
        content = b"".join(chunks)
        status = started["status"]
        if self.rewrite is not None and "json" in headers.get("content-type", ""):
            status, body, headers = self.rewrite(method, path, status, json.loads(content), headers)
            content = json.dumps(body).encode()
        self.exchanges.append((method, path, status))
        headers["content-length"] = str(len(content))
        raw = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": content})

    async def _rewritten(self, receive: Any, path: str) -> Any:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if body:
            body = json.dumps(self.rewrite_request and self.rewrite_request(path, json.loads(body))).encode()
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


def broken_target(
    provider: str,
    rewrite: Rewrite | None = None,
    rewrite_request: RequestRewrite | None = None,
    api_key: str = "sk-conformance",
) -> tuple[Target, Rewriting]:
    runtime = MockRuntime(Settings(clock="virtual"))
    app = Rewriting(create_app(runtime=runtime), rewrite, rewrite_request)
    client = TestClient(app, base_url=f"http://testserver/{provider}/")
    target = Target(provider, client, api_key, runtime.clock.advance, "a broken gateway", virtual_time=True)
    return target, app
