"""Network faults on a real socket: latency, connection reset, empty response, truncated body, malformed
JSON, slow trickle, hang. Asked for per request with the `X-Mock-Fault` header, or scripted by a task's
scenario (providers put them in the request state). Installed outermost, around the whole app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.randomness import RandomSource
from mockserver.core.streams import Draws
from mockserver.engine.timing import Fixed, Uniform
from mockserver.gateways.kit.routing import FAULTY_SEND, SCRIPTED_FAULTS
from mockserver.scenarios import NetworkFault
from mockserver.scenarios.schema import NETWORK_FAULTS

FAULT_HEADER = b"x-mock-fault"
HANG_LIMIT = 300.0
TRICKLE_CHUNK, TRICKLE_PAUSE = 16, 0.2


class FaultHeaderError(ValueError):
    pass


@dataclass(frozen=True)
class HeaderFault:
    network: NetworkFault | None = None
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None
    p: float = 1.0


def parse_fault_header(value: str) -> HeaderFault:
    """Read the header: `reset`, `latency=0.5`, `latency=0.2-0.8; p=0.3`, `status=503; retry_after=2`,
    `status=429; error=rate_limited`."""
    fields: dict[str, Any] = {}
    fault = None
    latency: Fixed | Uniform | None = None
    for token in (t.strip() for t in value.replace(",", ";").split(";")):
        if not token:
            continue
        key, sep, raw = (part.strip() for part in token.partition("="))
        try:
            if not sep and key in NETWORK_FAULTS:
                fault = key
            elif key == "latency":
                low, dash, high = raw.partition("-")
                latency = Uniform(float(low), float(high)) if dash else Fixed(float(low))
            elif key == "status" and 400 <= int(raw) <= 599:
                fields["status"] = int(raw)
            elif key in ("retry_after", "p") and float(raw) >= 0 and (key != "p" or float(raw) <= 1):
                fields[key] = float(raw)
            elif key == "error" and raw:
                fields["error"] = raw
            else:
                raise ValueError
        except ValueError:
            raise FaultHeaderError(
                f"X-Mock-Fault: cannot read {token!r}; use one of {', '.join(NETWORK_FAULTS)}, latency=S[-S], "
                "status=4xx|5xx, retry_after=S, error=NAME, p=0..1"
            ) from None
    network = NetworkFault(fault, latency) if fault or latency else None
    if network is None and "status" not in fields:
        raise FaultHeaderError("X-Mock-Fault names no fault: give a network fault, a latency or a status")
    return HeaderFault(network=network, **fields)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, randomness: RandomSource) -> None:
        self.app = app
        self.randomness = randomness
        self._scripted = self.scripted  # bound once: it goes into every request's scope

    def scripted(self, send: Send, receive: Receive, state: dict[str, Any]) -> Send:
        """The `send` that applies the network faults a provider scripted into the request's state."""
        return _FaultySend(send, receive, state, self.randomness, "x-mock-fault:0")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        header = None
        for name, value in scope["headers"]:
            if name == FAULT_HEADER:
                header = value  # the last one wins
        if not header:  # most requests: a gateway's faults, if its provider scripts some, apply where it answers
            scope[FAULTY_SEND] = self._scripted
            await self.app(scope, receive, send)
            return
        stream = f"x-mock-fault:{self.randomness.next_number('x-mock-fault')}"
        faulty = _FaultySend(send, receive, state, self.randomness, stream)
        try:
            fault = parse_fault_header(header.decode("latin-1"))
        except FaultHeaderError as exc:
            await _plain_error(send, str(exc))
            return
        if fault.p >= 1 or faulty.rng.random() < fault.p:
            state["header_fault"] = fault
            if fault.network is not None:
                state.setdefault(SCRIPTED_FAULTS, []).append(fault.network)
        await self.app(scope, receive, faulty)


_NO_KINDS: frozenset[str] = frozenset()


class _FaultySend:
    """The response on its way out, with the request's faults applied. Its random stream is made only when a
    fault draws from it: most requests have none, and seeding a generator costs more than the rest of this layer."""

    __slots__ = ("_rng", "dropped", "kinds", "randomness", "receive", "send", "state", "stream")

    def __init__(
        self, send: Send, receive: Receive, state: dict[str, Any], randomness: RandomSource, stream: str
    ) -> None:
        self.send, self.receive, self.state = send, receive, state
        self.randomness, self.stream = randomness, stream
        self._rng: Draws | None = None
        self.kinds: frozenset[str] = _NO_KINDS
        self.dropped = False

    @property
    def rng(self) -> Draws:
        if self._rng is None:
            self._rng = self.randomness.stream(self.stream)
        return self._rng

    async def __call__(self, message: Message) -> None:
        if self.dropped:
            return
        if message["type"] == "http.response.start" and SCRIPTED_FAULTS in self.state:
            faults: list[NetworkFault] = self.state[SCRIPTED_FAULTS]
            for fault in faults:
                if fault.latency is not None:
                    await asyncio.sleep(fault.latency.draw(self.rng))
            self.kinds = frozenset(f.fault for f in faults if f.fault)
            if "hang" in self.kinds:
                await self._hang()
            if self.kinds & {"reset", "empty", "hang"}:
                await self._drop(abort="empty" not in self.kinds)
                return
        elif message["type"] == "http.response.body" and self.kinds:
            await self._body(message)
            return
        await self.send(message)

    async def _body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        if "malformed" in self.kinds:
            await self.send({**message, "body": _malformed(body)})
        elif "truncate" in self.kinds:
            await self.send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            await self._drop(abort=True)
        elif "trickle" in self.kinds:
            for start in range(0, len(body), TRICKLE_CHUNK):
                await self.send(
                    {"type": "http.response.body", "body": body[start : start + TRICKLE_CHUNK], "more_body": True}
                )
                await asyncio.sleep(TRICKLE_PAUSE)
            await self.send({"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)})
        else:
            await self.send(message)

    async def _hang(self) -> None:
        """Answer nothing until the client gives up (or a generous limit passes)."""
        try:
            async with asyncio.timeout(HANG_LIMIT):
                while (await self.receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            pass

    async def _drop(self, *, abort: bool) -> None:
        """Close the connection under the response: abort (RST) for a reset, a plain close otherwise."""
        self.dropped = True
        transport = getattr(getattr(self.send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort() if abort else transport.close()
            await asyncio.sleep(0)


def _malformed(body: bytes) -> bytes:
    """Same length, not JSON any more: the last third of the document replaced."""
    keep = len(body) * 2 // 3
    return body[:keep] + b"\x00" * (len(body) - keep)


async def _plain_error(send: Send, message: str) -> None:
    import json

    body = json.dumps({"error": {"code": "bad_fault", "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
