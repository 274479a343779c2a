"""A journal entry: one request and the answer it got (`Exchange`), as both recorders capture it, packed while
it is kept and read back as a `JournalEntry` (text bodies, decoded headers)."""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

BODY_LIMIT = 64 * 1024
"""Bytes of each body an entry shows; past it the body is cut and the entry is not complete."""
KEPT = BODY_LIMIT + 1
"""Bytes of a body an exchange keeps: one past the limit, so reading it knows the body was cut."""
Headers = Iterable[tuple[bytes, bytes]]
_TEXT_TYPES = (b"application/json", b"text/", b"application/xml")
_MARSHAL_VERSION = 2
"""The format before shared references (3): an exchange shares few objects, and the later versions' table of every
object written cost about a third of the packing (PERFORMANCE.md)."""


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    time: float
    provider: str | None
    method: str
    path: str
    query: str
    status: int
    task_id: str | None
    request_body: str
    response_body: str
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    complete: bool = True
    """Both bodies were captured whole (text under the size limit), so the exchange can be replayed."""
    worker: int = 0
    """The id of the process that served it: with several workers, which one answered."""
    latency_ms: float | None = None
    """Milliseconds from the request reaching the mock to its answer being recorded (wall time; a scripted latency
    fault is added on the wire after it); for a callback the mock sent, how long the receiver took."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Exchange(NamedTuple):
    """One request and its answer as a recorder saw them, bodies cut one byte past the limit (`kept`).

    A request body of None was refused unread (by its declared length); a response body of None was not kept
    (a streamed answer). Only text answers are shown (`is_text`, judged when the entry is read). An answer
    not shown, or a body cut, makes the entry incomplete: it cannot be replayed."""

    time: float
    provider: str | None
    method: str
    path: str
    query: bytes
    request_headers: Headers
    request_body: bytes | None
    status: int
    response_headers: Headers
    response_body: bytes | None
    task_id: str | None = None
    worker: int = 0
    latency: float | None = None
    """Seconds the mock took to answer (or a callback's receiver), wall time; None where it was not measured."""

    def pack(self) -> bytes:
        """The exchange as one bytes object: what the journal keeps, so that no object of the request (its scope,
        its response) lives on with the entry."""
        fields: tuple[Any, ...] = tuple(self)  # marshal writes a plain tuple, not a named one
        try:
            return marshal.dumps(fields, _MARSHAL_VERSION)
        except ValueError:  # headers in a form marshal does not write (an ASGI server's own sequence type)
            plain = self._replace(
                request_headers=_plain(self.request_headers), response_headers=_plain(self.response_headers)
            )
            fields = tuple(plain)
            return marshal.dumps(fields, _MARSHAL_VERSION)

    @classmethod
    def unpack(cls, packed: bytes) -> Exchange:
        return cls(*marshal.loads(packed))  # an entry packed before `latency` existed has one field fewer

    def entry(self, seq: int) -> JournalEntry:
        """The exchange as the journal shows it: text bodies up to the limit, headers as text."""
        request_body, request_whole = _shown(self.request_body)
        response_body, response_whole = _shown(self.response_body if is_text(self.response_headers) else None)
        return JournalEntry(
            seq=seq,
            time=self.time,
            provider=self.provider,
            method=self.method,
            path=self.path,
            query=self.query.decode("latin-1"),
            status=self.status,
            task_id=self.task_id,
            request_body=request_body,
            response_body=response_body,
            request_headers=_headers(self.request_headers),
            response_headers=_headers(self.response_headers),
            complete=request_whole and response_whole,
            worker=self.worker,
            latency_ms=None if self.latency is None else round(self.latency * 1000, 3),
        )


def kept(body: bytes | None) -> bytes | None:
    """What an exchange keeps of a body."""
    return body if body is None else body[:KEPT]


def is_text(headers: Headers) -> bool:
    """The answer is text (its body is kept): JSON, text/*, XML."""
    for name, value in headers:
        if name == b"content-type":
            return value.startswith(_TEXT_TYPES)
    return False


def _shown(body: bytes | None) -> tuple[str, bool]:
    """A kept body as text, and whether it is whole."""
    if body is None:
        return "", False
    return body[:BODY_LIMIT].decode("utf-8", "replace"), len(body) <= BODY_LIMIT


def _headers(raw: Headers) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}


def _plain(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(bytes(name), bytes(value)) for name, value in headers]
