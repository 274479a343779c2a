"""Request reading shared by every provider (bodies with a size limit, JSON, bearer keys, public URLs) and
the JSON response every gateway answers with.

Failures are raised as the exceptions below; `kit.errors` renders them in each gateway's own error format.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Mapping
from functools import lru_cache
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.datastructures import URL, FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body too large (limit {limit} bytes)")
        self.limit = limit


class MalformedBody(Exception):
    """A body that cannot be read as the route's format: each gateway answers it as its own 400."""


class MalformedJson(MalformedBody):
    pass


class MalformedForm(MalformedBody):
    pass


MAX_FORM_FIELDS = 100
MAX_FORM_FILES = 20


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, read from the request's ASGI messages (as `request.stream()` does, without its generator);
    raises BodyTooLarge past `limit` bytes and Starlette's ClientDisconnect when the client goes away."""
    declared = header_text(request, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        _keep_for_journal(request, None)
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    receive = request.receive
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.disconnect":
            raise ClientDisconnect()
        if kind != "http.request":
            continue
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            _keep_for_journal(request, b"".join(chunks))
            raise BodyTooLarge(limit)
        if not message.get("more_body", False):
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            _keep_for_journal(request, body)
            return body


def _keep_for_journal(request: Request, body: bytes | None) -> None:
    """The body as read (None: refused unread, by its declared length), for the journal
    (`scope["state"]["request_body"]`): a gateway's exchange is journaled from its response, with no `receive`
    wrapper to see the body go by."""
    request.scope.setdefault("state", {})["request_body"] = body


LONG_NUMBER_DIGITS = 19
_LONG_NUMBER = re.compile(rb"\d{%d}" % LONG_NUMBER_DIGITS)
"""Digits enough to exceed 64 bits, where orjson reads an integer as a float (json keeps the integer)."""
_DIGITS = b"0123456789"


UNREAD: Any = object()


def quick_loads(body: bytes) -> Any:
    """The body's JSON value when orjson reads it as `json.loads` would (it refuses NaN, lone surrogates and
    more); UNREAD when it is for `json` to read or refuse."""
    if (
        len(body) - len(body.translate(None, _DIGITS)) < LONG_NUMBER_DIGITS  # too few digits for a long run: no search
        or _LONG_NUMBER.search(body) is None
    ):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return UNREAD


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON, accepting exactly what `json.loads` accepts: orjson first, then json."""
    body = await read_body(request, limit)
    if not body.strip():
        raise MalformedJson("request body is empty: send a JSON object")
    if (value := quick_loads(body)) is not UNREAD:
        return value
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedJson("request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def is_form(request: Request) -> bool:
    media_type = header_text(request, b"content-type").partition(";")[0].strip().lower()
    return media_type in ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_form(request: Request, limit: int) -> FormData:
    """A multipart or urlencoded body, read within `limit` bytes; files are kept in memory."""
    body = await read_body(request, limit)

    async def once() -> AsyncGenerator[bytes, None]:
        yield body

    multipart = header_text(request, b"content-type").lower().startswith("multipart/")
    try:
        if multipart:
            parser = MultiPartParser(
                request.headers, once(), max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS, max_part_size=limit
            )
            return await parser.parse()
        return await FormParser(request.headers, once(), max_fields=MAX_FORM_FIELDS, max_part_size=limit).parse()
    except MultiPartException as exc:
        raise MalformedForm(f"request body is not valid multipart/form-data: {exc.message}") from None
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise MalformedForm(f"request body is not a valid form: {exc}") from None


def mark_task(request: Request, task_id: str) -> None:
    """Name the task a request concerns, for the journal (`request.state.task_id` without building the state
    object on every poll)."""
    request.scope.setdefault("state", {})["task_id"] = task_id


def header_text(request: Request, name: bytes) -> str:
    """The first value of a header (`name` in lower case), '' when absent: `request.headers.get(name, "")`
    without building the headers object."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def bearer_token(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header: None when no key is sent, '' when the header
    is not a bearer credential."""
    header = header_text(request, b"authorization").strip()
    if header.startswith("Bearer "):  # the usual spelling, read without splitting
        return header[7:].strip() or None
    scheme, _, key = header.partition(" ")
    if not header or (scheme.lower() == "bearer" and not key.strip()):
        return None
    return key.strip() if scheme.lower() == "bearer" else ""


def called_address(request: Request) -> tuple[Any, ...]:
    """What `public_base` reads from a request (scheme, Host header, server), without reading it: a key for
    values built once per address."""
    scope = request.scope
    for name, value in scope["headers"]:
        if name == b"host":
            return scope.get("scheme"), value
    server = scope.get("server")
    return scope.get("scheme"), None, tuple(server) if server else None  # a server may give a list


def public_base(request: Request, configured: str | None) -> str:
    """`scheme://host[:port]` the client called (as `request.url` reads it), or the configured public URL."""
    if configured:
        return configured.rstrip("/")
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    server = scope.get("server")
    return _called_base(scope.get("scheme", "http"), host, tuple(server) if server else None)


@lru_cache(maxsize=256)
def _called_base(scheme: str, host: bytes | None, server: tuple[str, int | None] | None) -> str:
    """Starlette's reading of the Host header (validated, else the server address), once per distinct value."""
    headers = [(b"host", host)] if host is not None else []
    scope = {"type": "http", "scheme": scheme, "server": server, "path": "/", "query_string": b"", "headers": headers}
    url = URL(scope=scope)
    return f"{url.scheme}://{url.netloc}"


class JsonResponse(Response):
    """Starlette's `JSONResponse` byte for byte (compact, UTF-8 unescaped, keys in order), rendered by orjson:
    every answer of every gateway is one, and `json.dumps` with those options costs more than the rest of a poll.
    Floats keep the shortest form that reads back the same; below 1e-4 orjson writes `1e-5` where json writes
    `1e-05`. What orjson cannot write (integers beyond 64 bits) goes to json."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if (
            media_type is not None
            or (headers and not _PLAIN_HEADERS.keys() >= headers.keys())
            or status_code < 200
            or status_code in (204, 304)
        ):
            super().__init__(content, status_code, headers, media_type, background)  # Starlette's header rules
            return
        self.status_code, self.background = status_code, background
        body = self.body = content.json if type(content) is Rendered else dump_json(content)
        raw = self.raw_headers = []
        if headers:  # a loop, not a comprehension: one fewer function made and called per answer
            for name, value in headers.items():
                raw.append((_PLAIN_HEADERS[name], value.encode("latin-1")))
        raw.append((b"content-length", str(len(body)).encode()))
        raw.append(_JSON_TYPE)

    def render(self, content: Any) -> bytes:
        return dump_json(content)


_JSON_TYPE = (b"content-type", b"application/json")
_PLAIN_HEADERS = {
    name: name.lower().encode("latin-1") for name in ("X-Oneapi-Request-Id", "Retry-After", "openai-poll-after-ms")
}
"""Headers the gateways set that are neither a body length nor a content type, each with its name as Starlette
writes it (lower-case bytes): `JsonResponse` writes those itself, in Starlette's order (the given headers, then
content-length and content-type)."""


def dump_json(content: Any) -> bytes:
    """JSON bytes as `JsonResponse` writes them. orjson's output holds a 4 KiB block whatever its length, so it is
    copied to its own size: bodies live on in the journal (and finished answers with their task)."""
    try:
        return memoryview(orjson.dumps(content, default=_fragment)).tobytes()
    except TypeError:
        compact = {"ensure_ascii": False, "allow_nan": False, "separators": (",", ":")}
        return json.dumps(content, default=_value, **compact).encode()  # type: ignore[arg-type]


class Rendered:
    """A JSON value rendered once (what a finished task answers), written in place wherever it is nested."""

    __slots__ = ("fragment", "json")

    def __init__(self, value: Any) -> None:
        self.json = dump_json(value)
        self.fragment = orjson.Fragment(self.json)


def _fragment(thing: Any) -> Any:
    if isinstance(thing, Rendered):
        return thing.fragment
    raise TypeError(f"{type(thing).__name__} is not JSON")


def _value(thing: Any) -> Any:
    if isinstance(thing, Rendered):
        return json.loads(thing.json)  # the rare answer orjson cannot write: kept as bytes only, read back
    raise TypeError(f"Object of type {type(thing).__name__} is not JSON serializable")
