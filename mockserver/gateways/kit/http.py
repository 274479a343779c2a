"""Request reading shared by every provider (bodies with a size limit, JSON, bearer keys, public URLs) and
the JSON response every gateway answers with.

Failures are raised as the exceptions below; `kit.errors` renders them in each gateway's own error format.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncGenerator
from functools import lru_cache
from itertools import accumulate
from typing import Any

import orjson
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


class MalformedHeader(Exception):
    """A request header the mock reads (`X-Mock-Fault`) that it cannot read: a 400 in the gateway's format."""


class MalformedForm(MalformedBody):
    pass


MAX_FORM_FIELDS = 100
MAX_FORM_FILES = 20


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, read from the request's ASGI messages; raises BodyTooLarge past `limit` bytes and Starlette's
    ClientDisconnect when the client goes away."""
    declared = header(request, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        _keep_for_journal(request, None)
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] != "http.request":
            continue
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            _keep_for_journal(request, b"".join(chunks))
            raise BodyTooLarge(limit)
        if not message.get("more_body", False):
            body = b"".join(chunks)
            _keep_for_journal(request, body)
            return body


def _keep_for_journal(request: Request, body: bytes | None) -> None:
    """The body as read (None: refused unread, by its declared length), for the journal
    (`scope["state"]["request_body"]`): a gateway's exchange is journaled from its response, with no `receive`
    wrapper to see the body go by."""
    note(request, "request_body", body)


LONG_NUMBER_DIGITS = 19
"""Digits enough to exceed 64 bits, where orjson reads an integer as a float (json keeps the integer)."""
_DIGITS = b"0123456789"


UNREAD: Any = object()


def quick_loads(body: bytes) -> Any:
    """The body's JSON value when orjson reads it as `json.loads` would (it refuses NaN, lone surrogates and
    more); UNREAD when it is for `json` to read or refuse: a body with digits enough for a long integer whose value
    holds a float (orjson reads an integer past 64 bits as one). Digits in strings (a 19-digit task id) are no
    integer: a value without a float was read whole."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return UNREAD
    if len(body) - len(body.translate(None, _DIGITS)) >= LONG_NUMBER_DIGITS and _holds_float(value):
        return UNREAD
    return value


def _holds_float(value: Any) -> bool:
    pending = [value]  # a walk without recursion: orjson reads deeper nesting than Python recurses
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


MAX_JSON_DEPTH = 64
"""The default of the `max_json_depth` setting."""
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def check_json_depth(body: bytes, max_depth: int) -> None:
    """Raise MalformedJson when the body's arrays and objects nest deeper than `max_depth` (brackets inside
    strings do not count): checked before parsing, as both parsers recurse once per level."""
    if body.count(b"[") + body.count(b"{") <= max_depth:  # too few brackets to nest that deep: nothing to scan
        return
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
    if depth > max_depth:
        raise MalformedJson(f"request body nests arrays and objects {depth} deep: the limit is {max_depth}")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    """`value` with every lone UTF-16 surrogate (`"\\ud800"` in the JSON: json reads valid pairs as one character)
    replaced by U+FFFD, as Go's encoding/json reads them: a string that cannot be written as UTF-8 would otherwise
    fail wherever it is stored or written back (SQLite, Redis, the journal, the admin API)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(key): without_lone_surrogates(item) for key, item in value.items()}
    return value


def loads_checked(text: str | bytes) -> Any:
    """`json.loads`, with what it raises besides JSONDecodeError for a hostile document (an integer of more digits
    than Python converts, nesting past the interpreter's recursion limit) raised as MalformedJson, and lone
    surrogates replaced (`without_lone_surrogates`)."""
    try:
        value = json.loads(text)
        return without_lone_surrogates(value) if _may_hold_surrogates(text) else value
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise
    except ValueError:
        raise MalformedJson(
            f"request body holds an integer of more than {sys.get_int_max_str_digits()} digits"
        ) from None
    except RecursionError:
        raise MalformedJson("request body nests arrays and objects too deep") from None


def _may_hold_surrogates(text: str | bytes) -> bool:
    """A `\\uD800`-`\\uDFFF` escape may be in the document (orjson refuses lone surrogates: only json reads them)."""
    lowered = text.lower()
    return ("\\ud" in lowered) if isinstance(lowered, str) else (b"\\ud" in lowered)


async def read_json(request: Request, limit: int, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The body as JSON, accepting exactly what `json.loads` accepts (orjson first, then json), nested at most
    `max_depth` deep."""
    return parse_json(await read_body(request, limit), max_depth)


def parse_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A body already read, as JSON (`read_json` for a gateway that also needs the bytes, to check a signature)."""
    if not body.strip():
        raise MalformedJson("request body is empty: send a JSON object")
    check_json_depth(body, max_depth)
    if (value := quick_loads(body)) is not UNREAD:
        return value
    try:
        return loads_checked(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedJson("request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def is_form(request: Request) -> bool:
    media_type = header(request, b"content-type").partition(";")[0].strip().lower()
    return media_type in ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_form(request: Request, limit: int) -> FormData:
    """A multipart or urlencoded body, read within `limit` bytes; files are kept in memory."""
    body = await read_body(request, limit)

    async def once() -> AsyncGenerator[bytes, None]:
        yield body

    multipart = header(request, b"content-type").lower().startswith("multipart/")
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
    """Name the task a request concerns, for the journal."""
    note(request, "task_id", task_id)


def note(request: Request, key: str, value: Any) -> None:
    """`setattr(request.state, key, value)`: the request's state is the scope's `state` mapping."""
    request.scope.setdefault("state", {})[key] = value


def header(request: Request, name: bytes) -> str:
    """The first value of the header `name` (lower-case bytes, as the scope holds names), '' when absent:
    `request.headers.get(name, "")`, read from the scope."""
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


def bearer_token(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header: None when no key is sent, '' when the header
    is not a bearer credential."""
    text = header(request, b"authorization").strip()
    if not text:
        return None
    scheme, _, key = text.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return key.strip() or None


def public_base(request: Request, configured: str | None) -> str:
    """`scheme://host[:port]` the client called (as `request.url` reads it), or the configured public URL."""
    if configured:
        return configured.rstrip("/")
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    server = scope.get("server")
    return _called_base(scope.get("scheme", "http"), host, tuple(server) if server else None)


def addressed_as(request: Request) -> Request:
    """A stand-in for `request` holding only what `public_base` reads of it (scheme, Host, server address): for
    URLs made after the request was answered (a callback), without keeping its connection and body alive."""
    scope = request.scope
    headers = [(name, value) for name, value in scope["headers"] if name == b"host"]
    server = scope.get("server")
    return Request(
        {
            "type": "http",
            "scheme": scope.get("scheme", "http"),
            "server": server,
            "path": "/",
            "query_string": b"",
            "headers": headers,
        }
    )


@lru_cache(maxsize=256)
def _called_base(scheme: str, host: bytes | None, server: tuple[str, int | None] | None) -> str:
    """Starlette's reading of the Host header, else of the server address (no Host header, or one that is not a
    host: a result URL must not fail on it)."""
    headers = [(b"host", host)] if host is not None else []
    scope = {"type": "http", "scheme": scheme, "server": server, "path": "/", "query_string": b"", "headers": headers}
    url = URL(scope=scope)
    try:
        return f"{url.scheme}://{url.netloc}"
    except ValueError:
        return _called_base(scheme, None, server) if host is not None else f"{scheme}://localhost"


class JsonResponse(Response):
    """Starlette's `JSONResponse` byte for byte (compact, UTF-8 unescaped, keys in order), rendered by orjson
    (PERFORMANCE.md). Floats keep the shortest form that reads back the same; below 1e-4 orjson writes `1e-5` where
    json writes `1e-05`. What orjson cannot write (integers beyond 64 bits) goes to json."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content.json if isinstance(content, Rendered) else dump_json(content)


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
