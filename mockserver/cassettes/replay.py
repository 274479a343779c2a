"""Serves a cassette back: the same client requests get the same responses, in recorded order; requests the
cassette does not hold are reported (with the nearest recorded ones, and which body field differed) or passed to
a fallback app. A request matches a recording by method, path and query, and by body value, where a field the
recorder redacted (`"***"`) matches any value. Result URLs the recorder proxied are rewritten to this server's
address, where their recorded downloads are served (`/__results/<token>`), so a replayed run works offline."""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.cassettes.asgi import buffer_body, send_bytes, send_json, serve_lifespan
from mockserver.cassettes.cassette import Cassette, Interaction, redact_query
from mockserver.cassettes.links import RESULTS_PREFIX, base_url, rewrite_urls
from mockserver.cassettes.matching import difference, parse

REPORT_PATH = "/__replay/report"
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def request_key(method: str, path: str, query: str, body: bytes) -> tuple[str, str, str, str]:
    """A request as a value: method, path, query and the body (JSON compared by value, not by bytes)."""
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
        self._waiting: dict[tuple[str, str, str], list[Interaction]] = defaultdict(list)
        """By method, path and query (its credentials masked): the recordings not served yet, in recorded order."""
        self._served: dict[tuple[str, str, str], list[Interaction]] = defaultdict(list)
        for interaction in cassette.interactions:
            place = (interaction.method.upper(), interaction.path, redact_query(interaction.query))
            self._waiting[place].append(interaction)
        self._tokens = {url: name for name, url in cassette.results.items()}
        self.served = 0
        self.repeated: list[str] = []
        self.unmatched: list[dict[str, Any]] = []

    def report(self) -> dict[str, Any]:
        unused = [f"{i.method} {i.path}" for waiting in self._waiting.values() for i in waiting]
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
        place = (scope["method"].upper(), scope["path"], redact_query(query))  # a masked key matches any
        interaction = self._next(place, parse(body))
        if interaction is None:
            if self.fallback is not None:
                await self.fallback(scope, receive, send)
                return
            described = f"{scope['method']} {scope['path']}" + (f"?{query}" if query else "")
            nearest = self._nearest(described, place, parse(body))
            self.unmatched.append({"request": described, "nearest": nearest})
            message = f"the cassette holds no answer for {described}"
            error = {"code": "no_recorded_interaction", "message": message, "nearest": nearest}
            await send_json(send, 404, {"error": error})
            return
        self.served += 1
        headers = [(k, v) for k, v in interaction.response_headers.items() if k not in _HOP_HEADERS]
        await send_bytes(send, interaction.status, headers, self._links(scope, interaction.response_body))

    def _next(self, place: tuple[str, str, str], body: Any) -> Interaction | None:
        waiting = self._waiting.get(place, [])
        for index, candidate in enumerate(waiting):
            if difference(parse(candidate.request_body), body) is None:
                self._served[place].append(waiting.pop(index))
                return candidate
        for candidate in reversed(self._served.get(place, [])):  # asked more often than recorded: the last holds
            if difference(parse(candidate.request_body), body) is None:
                self.repeated.append(f"{place[0]} {place[1]}")
                return candidate
        return None

    def _links(self, scope: Scope, body: bytes) -> bytes:
        """The recorded answer with each proxied result URL pointing here."""
        if not self._tokens:
            return body
        here = base_url(scope)
        return rewrite_urls(
            body, lambda url: f"{here}{RESULTS_PREFIX}{name}" if (name := self._tokens.get(url)) else None
        )

    def _nearest(self, described: str, place: tuple[str, str, str], body: Any) -> list[str]:
        """Recordings of the same request with another body (saying which field differed), else similar paths."""
        same = [*self._waiting.get(place, []), *self._served.get(place, [])]
        if same:
            reasons = dict.fromkeys(difference(parse(i.request_body), body) or "" for i in same)
            return [f"{described} ({reason})" for reason in reasons]
        recorded = sorted(
            {f"{i.method} {i.path}" + (f"?{i.query}" if i.query else "") for i in self.cassette.interactions}
        )
        return difflib.get_close_matches(described, recorded, n=3, cutoff=0.3)
