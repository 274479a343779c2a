"""A recording proxy: forwards every request to a real gateway and writes a cassette, keys redacted.

Result URLs in the gateway's JSON answers (a video on a CDN) are handed to the client as this proxy's own
`/__results/<token>` URLs: a download through one is fetched from the real URL and recorded too, so the replay
can serve it offline. The cassette keeps the gateway's answers as they came, with the URL of each token.

A gateway that takes signatures (Volcengine's V4) is recorded with the proxy's own key pair (`signer`): a client
signs for the address it talks to, the proxy's, and the signature covers that Host, so the proxy signs each
request anew for the upstream. The client's signature is redacted like a key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
from starlette.types import Receive, Scope, Send

from mockserver.cassettes.asgi import buffer_body, send_bytes, send_json, serve_lifespan
from mockserver.cassettes.cassette import Cassette, Interaction, redact_body, redact_headers, redact_query
from mockserver.cassettes.links import RESULTS_PREFIX, base_url, rewrite_urls, token
from mockserver.core.clock import SystemClock
from mockserver.core.volc_v4 import KeyPair, sign

UPSTREAM_TIMEOUT = 120.0
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding"})
_DOWNLOAD_HEADERS = frozenset({"range", "if-none-match", "if-modified-since", "user-agent", "accept"})
_SIGNATURE_HEADERS = frozenset({"authorization", "x-date", "x-content-sha256", "content-type"})
_WALL = SystemClock()


class Recorder:
    def __init__(
        self, upstream: str, out: Path, now: Callable[[], float], source: str = "", signer: KeyPair | None = None
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.now = now
        self.signer = signer
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
        path: str = scope["path"]
        if path.startswith(RESULTS_PREFIX):
            url = self.cassette.results.get(path[len(RESULTS_PREFIX) :])
            if url is None:
                await send_json(send, 404, {"error": {"code": "unknown_result", "message": f"no result at {path}"}})
                return
            headers = [(k, v) for k, v in headers if k.lower() in _DOWNLOAD_HEADERS]  # no key leaves for a CDN
        else:
            url = self.upstream + path + (f"?{query}" if query else "")
        sent = headers
        if self.signer is not None and not path.startswith(RESULTS_PREFIX):
            sent = signed_for(self.signer, scope["method"], httpx.URL(url), headers, body)
        try:
            async with httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT) as client:  # one per exchange: nothing left open
                answer = await client.request(scope["method"], url, headers=sent, content=body)
        except httpx.HTTPError as exc:
            message = f'{{"error":{{"code":"upstream_unreachable","message":"{type(exc).__name__}"}}}}'.encode()
            await send_bytes(send, 502, [("content-type", "application/json")], message)
            return
        response_headers = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS]
        self.cassette.interactions.append(
            Interaction(
                self.now(),
                scope["method"],
                path,
                "" if path.startswith(RESULTS_PREFIX) else redact_query(query),
                redact_headers(headers),
                redact_body(body),
                answer.status_code,
                redact_headers(response_headers),
                redact_body(answer.content),
            )
        )
        content = self._proxied_links(scope, answer.content, "json" in answer.headers.get("content-type", ""))
        self.cassette.save(self.out)
        await send_bytes(send, answer.status_code, response_headers, content)

    def _proxied_links(self, scope: Scope, content: bytes, is_json: bool) -> bytes:
        """The answer as the client gets it: each result URL in a JSON body replaced by this proxy's."""
        if not is_json:
            return content
        here = base_url(scope) + RESULTS_PREFIX

        def through_proxy(url: str) -> str:
            name = token(url)
            self.cassette.results[name] = url
            return here + name

        return rewrite_urls(content, through_proxy)


def signed_for(
    pair: KeyPair, method: str, url: httpx.URL, headers: list[tuple[str, str]], body: bytes
) -> list[tuple[str, str]]:
    """The request's headers with the client's signature replaced by one of `pair` for `url` (its host, path and
    query), at the machine's time; the region and service of the client's credential scope are kept."""
    given = {name.lower(): value for name, value in headers}
    region, service = _credential_scope(given.get("authorization", ""))
    signature = sign(
        pair,
        method,
        url.path,
        parse_qsl(url.query.decode("latin-1"), keep_blank_values=True),
        url.netloc.decode("latin-1"),
        body,
        region=region,
        service=service,
        now=_WALL.now(),
        content_type=given.get("content-type", "application/json"),
    )
    kept = [(name, value) for name, value in headers if name.lower() not in _SIGNATURE_HEADERS]
    return kept + [(name, value) for name, value in signature.items() if name != "Host"]


def _credential_scope(authorization: str) -> tuple[str, str]:
    """The region and service of a V4 Authorization (`Credential=<key>/<date>/<region>/<service>/request, ...`);
    Volcengine Visual's when it names none."""
    credential = authorization.partition("Credential=")[2].partition(",")[0].strip().split("/")
    return (credential[2], credential[3]) if len(credential) == 5 else ("cn-north-1", "cv")
