"""A recording proxy: forwards every request to a real gateway and writes a cassette, keys redacted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.types import Receive, Scope, Send

from mockserver.cassettes.asgi import buffer_body, send_bytes, serve_lifespan
from mockserver.cassettes.cassette import Cassette, Interaction, redact_body, redact_headers

UPSTREAM_TIMEOUT = 120.0
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding"})


class Recorder:
    def __init__(self, upstream: str, out: Path, now: Callable[[], float], source: str = "") -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.now = now
        self.cassette = Cassette(source=source or self.upstream)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await serve_lifespan(receive, send)
            return
        body, _ = await buffer_body(receive)
        query = scope.get("query_string", b"").decode("latin-1")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in _HOP_HEADERS
        ]
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        import httpx

        try:
            async with httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT) as client:  # one per exchange: nothing left open
                answer = await client.request(scope["method"], url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            message = f'{{"error":{{"code":"upstream_unreachable","message":"{type(exc).__name__}"}}}}'.encode()
            await send_bytes(send, 502, [("content-type", "application/json")], message)
            return
        response_headers = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS]
        self.cassette.interactions.append(
            Interaction(
                self.now(),
                scope["method"],
                scope["path"],
                query,
                redact_headers(headers),
                redact_body(body),
                answer.status_code,
                redact_headers(response_headers),
                answer.content,
            )
        )
        self.cassette.save(self.out)
        await send_bytes(send, answer.status_code, response_headers, answer.content)
