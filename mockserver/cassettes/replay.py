"""Serves a cassette back: the same client requests get the same responses, in recorded order; requests the
cassette does not hold are reported (with the nearest recorded ones) or passed to a fallback app."""

from __future__ import annotations

import difflib
import json
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.cassettes.asgi import buffer_body, send_bytes, send_json, serve_lifespan
from mockserver.cassettes.cassette import Cassette, Interaction

REPORT_PATH = "/__replay/report"
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def request_key(method: str, path: str, query: str, body: bytes) -> tuple[str, str, str, str]:
    """How a request is matched: method, path, query and the body (JSON compared by value, not by bytes)."""
    try:
        normal = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")) if body.strip() else ""
    except (ValueError, UnicodeDecodeError):
        normal = body.decode("latin-1")
    return method.upper(), path, query, normal


class Replayer:
    def __init__(
        self, cassette: Cassette, fallback: ASGIApp | None = None, on_shutdown: Callable[[], None] | None = None
    ) -> None:
        self.cassette = cassette
        self.fallback = fallback
        self.on_shutdown = on_shutdown
        self._queues: dict[tuple[str, str, str, str], deque[Interaction]] = defaultdict(deque)
        self._last: dict[tuple[str, str, str, str], Interaction] = {}
        for interaction in cassette.interactions:
            key = request_key(interaction.method, interaction.path, interaction.query, interaction.request_body)
            self._queues[key].append(interaction)
        self.served = 0
        self.repeated: list[str] = []
        self.unmatched: list[dict[str, Any]] = []

    def report(self) -> dict[str, Any]:
        unused = [f"{i.method} {i.path}" for queue in self._queues.values() for i in queue]
        return {"served": self.served, "repeated": self.repeated, "unmatched": self.unmatched, "unused": unused}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if self.fallback is not None:
                await self.fallback(scope, receive, send)
            elif scope["type"] == "lifespan":
                await serve_lifespan(receive, send, self.on_shutdown)
            return
        if scope["path"] == REPORT_PATH:
            await send_json(send, 200, self.report())
            return
        body, receive = await buffer_body(receive)
        query = scope.get("query_string", b"").decode("latin-1")
        key = request_key(scope["method"], scope["path"], query, body)
        interaction = self._next(key)
        if interaction is None:
            if self.fallback is not None:
                await self.fallback(scope, receive, send)
                return
            described = f"{scope['method']} {scope['path']}" + (f"?{query}" if query else "")
            nearest = self._nearest(described)
            self.unmatched.append({"request": described, "nearest": nearest})
            message = f"the cassette holds no answer for {described}"
            error = {"code": "no_recorded_interaction", "message": message, "nearest": nearest}
            await send_json(send, 404, {"error": error})
            return
        self.served += 1
        headers = [(k, v) for k, v in interaction.response_headers.items() if k not in _HOP_HEADERS]
        await send_bytes(send, interaction.status, headers, interaction.response_body)

    def _next(self, key: tuple[str, str, str, str]) -> Interaction | None:
        queue = self._queues.get(key)
        if queue:
            self._last[key] = queue.popleft()
            return self._last[key]
        if key in self._last:  # asked more often than recorded (a client polling longer): the last answer holds
            self.repeated.append(f"{key[0]} {key[1]}")
            return self._last[key]
        return None

    def _nearest(self, described: str) -> list[str]:
        recorded = sorted(
            {f"{i.method} {i.path}" + (f"?{i.query}" if i.query else "") for i in self.cassette.interactions}
        )
        return difflib.get_close_matches(described, recorded, n=3, cutoff=0.3)
