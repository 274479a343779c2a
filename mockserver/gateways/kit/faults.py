"""Fault handling, in one place: network faults on a real socket (latency, connection reset, empty response,
truncated body, malformed JSON, slow trickle, hang) and HTTP status faults. Asked for per request with the
`X-Mock-Fault` header, or scripted by a task's scenario (providers put them in the request state under
`SCRIPTED_FAULTS`; `routing.answer` sends through the scope's `FAULTY_SEND`). `FaultMiddleware` is installed
outermost, around the whole app; a header it cannot read is left in the state (`FAULT_REFUSED`) for the gateway to
refuse in its own error format.

Every wait is bounded by the hang limit (the `fault_hang_limit` setting) and ends when the client leaves."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.core.randomness import RandomSource
from mockserver.core.streams import Draws
from mockserver.engine.timing import Fixed, Uniform
from mockserver.gateways.kit.http import MalformedHeader
from mockserver.scenarios import NetworkFault
from mockserver.scenarios.schema import NETWORK_FAULTS

FAULT_HEADER = b"x-mock-fault"
HANG_LIMIT = 300.0
"""The default of the `fault_hang_limit` setting: the longest latency, and how long a hang waits, in seconds."""
TRICKLE_CHUNK, TRICKLE_PAUSE = 16, 0.2

FAULTY_SEND = "jimeng.faulty_send"
"""Scope key of a factory the fault layer sets: `factory(send, receive, state)` is the `send` that applies the
network faults a provider scripted into the request's state (`SCRIPTED_FAULTS`) to the answer."""
SCRIPTED_FAULTS = "network_faults"
"""State key of the network faults to apply to this request's answer (a list of NetworkFault)."""
HEADER_FAULT = "header_fault"
"""State key of the request's `X-Mock-Fault` (a HeaderFault), when its draw (`p`) says it applies."""
FAULT_REFUSED = "fault_refused"
"""State key of the FaultHeaderError of an `X-Mock-Fault` header the fault layer could not read."""


class FaultHeaderError(MalformedHeader):
    """An `X-Mock-Fault` header the mock refuses: a 400 in the gateway's own format."""


@dataclass(frozen=True)
class HeaderFault:
    network: NetworkFault | None = None
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None
    p: float = 1.0


def attach_network_faults(request: Request, faults: Sequence[NetworkFault]) -> None:
    """Hand faults to the fault layer, which applies them on the real socket to the answer `routing.answer` sends."""
    if faults:
        request.scope.setdefault("state", {}).setdefault(SCRIPTED_FAULTS, []).extend(faults)


def parse_fault_header(value: str, hang_limit: float = HANG_LIMIT) -> HeaderFault:
    """Read the header: `reset`, `latency=0.5`, `latency=0.2-0.8; p=0.3`, `status=503; retry_after=2`,
    `status=429; error=rate_limited`. A latency must be a finite number of seconds up to `hang_limit`."""
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
                latency = _latency(raw, hang_limit)
            elif key == "status" and raw.isascii() and raw.isdigit() and 400 <= int(raw) <= 599:
                fields["status"] = int(raw)
            elif key in ("retry_after", "p") and 0 <= float(raw) < math.inf and (key != "p" or float(raw) <= 1):
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
    if "error" in fields and "status" not in fields:
        raise FaultHeaderError("X-Mock-Fault: error=NAME goes with a status (status=4xx|5xx; error=NAME)")
    return HeaderFault(network=network, **fields)


def _latency(raw: str, hang_limit: float) -> Fixed | Uniform:
    """`S` or `LOW-HIGH` seconds, each finite and within the hang limit."""
    low_text, dash, high_text = raw.partition("-")
    try:
        low = float(low_text)
        high = float(high_text) if dash else low
    except ValueError:
        low = high = math.nan
    if not 0 <= low <= high <= hang_limit:  # false for NaN too
        raise FaultHeaderError(
            f"X-Mock-Fault: latency={raw} is out of range: a latency is 0 to {hang_limit:g} seconds "
            "(the fault_hang_limit setting)"
        )
    return Uniform(low, high) if dash else Fixed(low)


def unknown_error(name: str, provider: str, known: Iterable[str]) -> FaultHeaderError:
    """The refusal of an `error=NAME` the gateway's catalogue has neither as a name nor as a kind."""
    return FaultHeaderError(
        f"X-Mock-Fault: error={name} is not in {provider}'s error catalogue; known: {', '.join(known)}"
    )


class FaultMiddleware:
    def __init__(self, app: ASGIApp, randomness: RandomSource, hang_limit: float = HANG_LIMIT) -> None:
        self.app = app
        self.randomness = randomness
        self.hang_limit = hang_limit
        self._scripted = self.scripted  # bound once: it goes into every request's scope

    def scripted(self, send: Send, receive: Receive, state: dict[str, Any]) -> Send:
        """The `send` that applies the network faults a provider scripted into the request's state."""
        return _FaultySend(send, receive, state, self.randomness, "x-mock-fault:0", self.hang_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        header = dict(scope["headers"]).get(FAULT_HEADER)  # the last one wins
        if not header:  # most requests: a gateway's faults, if its provider scripts some, apply where it answers
            scope[FAULTY_SEND] = self._scripted
            await self.app(scope, receive, send)
            return
        try:
            fault = parse_fault_header(header.decode("latin-1"), self.hang_limit)
        except FaultHeaderError as exc:
            state[FAULT_REFUSED] = exc  # refused by whoever answers: a gateway in its own format
            await self.app(scope, receive, send)
            return
        stream = f"x-mock-fault:{self.randomness.event_number('x-mock-fault')}"
        faulty = _FaultySend(send, receive, state, self.randomness, stream, self.hang_limit)
        if fault.p >= 1 or faulty.rng.random() < fault.p:
            state[HEADER_FAULT] = fault
            if fault.network is not None:
                state.setdefault(SCRIPTED_FAULTS, []).append(fault.network)
        await self.app(scope, receive, faulty)


_NO_KINDS: frozenset[str] = frozenset()


class _FaultySend:
    """The response on its way out, with the request's faults applied. Its random stream is made only when a
    fault draws from it: most requests have none, and seeding a generator costs more than the rest of this layer."""

    __slots__ = ("_rng", "dropped", "hang_limit", "kinds", "randomness", "receive", "send", "state", "stream")

    def __init__(
        self,
        send: Send,
        receive: Receive,
        state: dict[str, Any],
        randomness: RandomSource,
        stream: str,
        hang_limit: float,
    ) -> None:
        self.send, self.receive, self.state = send, receive, state
        self.randomness, self.stream, self.hang_limit = randomness, stream, hang_limit
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
            delay = sum(fault.latency.draw(self.rng) for fault in faults if fault.latency is not None)
            if delay > 0 and await self._client_left_within(min(delay, self.hang_limit)):
                await self._drop(abort=True)
                return
            self.kinds = frozenset(f.fault for f in faults if f.fault)
            if "hang" in self.kinds:
                await self._client_left_within(self.hang_limit)
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

    async def _client_left_within(self, seconds: float) -> bool:
        """Wait `seconds` with nothing sent, or less when the client leaves first (then True)."""
        try:
            async with asyncio.timeout(seconds):
                while (await self.receive())["type"] != "http.disconnect":
                    pass
            return True
        except TimeoutError:
            return False

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


async def refuse_plainly(send: Send, error: FaultHeaderError) -> None:
    """The mock's own 400 for a fault header it cannot read, where no gateway answers (admin, media)."""
    body = json.dumps({"error": {"code": "bad_fault", "message": str(error)}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
