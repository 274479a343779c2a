"""Reading request bodies as the server's koa-body setup does: JSON (repaired when sloppy, reference A.1),
multipart form-data with files, url-encoded forms; 100 MiB at most."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from mockserver.gateways.jimeng2api.errors import bad_request, invalid_json
from mockserver.gateways.kit.http import (
    MAX_JSON_DEPTH,
    UNREAD,
    MalformedJson,
    check_json_depth,
    header,
    loads_checked,
    quick_loads,
    read_body,
    without_lone_surrogates,
)

BODY_LIMIT = 100 * 1024 * 1024  # requestBody.jsonLimit and formidable maxFileSize
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:")
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Payload:
    """The body as the route sees it: `fields` (JSON values or form strings) and uploaded files by field."""

    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)
    multipart: bool = False
    is_object: bool = True

    def all_files(self) -> list[Upload]:
        return [upload for uploads in self.files.values() for upload in uploads]

    def file_fields(self) -> list[Upload]:
        """One upload per field name, as the server's `_.values(request.files)` counts them: several files under
        one name are one entry (their first file stands for them here, x-source assumed)."""
        return [uploads[0] for uploads in self.files.values()]


async def read_payload(request: Request, max_depth: int = MAX_JSON_DEPTH) -> Payload:
    """The body; JSON nested deeper than `max_depth` (the `max_json_depth` setting) is refused."""
    raw = await read_body(request, BODY_LIMIT)
    content_type = header(request, b"content-type").lower()
    if content_type.startswith(_FORMS):
        return await _read_form(request, raw, multipart=content_type.startswith("multipart/"))
    if "json" in content_type:
        value = parse_json(raw, max_depth)
        return Payload(value) if type(value) is dict else Payload(is_object=False)
    return Payload()


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strict JSON first; else the server's repairs (BOM, NBSP, trailing commas, single quotes, bare keys)."""
    try:
        check_json_depth(raw, max_depth)
    except MalformedJson as exc:
        raise bad_request(str(exc), None) from None
    if (value := quick_loads(raw)) is not UNREAD:
        return value
    return parse_json_slowly(raw)


def parse_json_slowly(raw: bytes) -> Any:
    """`parse_json` without orjson: what it must agree with."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_json("Unexpected token in JSON: the body is not UTF-8 text") from None
    if not text.strip():  # JSON.parse("") after the server's trim
        raise invalid_json("Unexpected end of JSON input")
    try:
        return _loads(text)
    except json.JSONDecodeError:
        pass
    repaired = text.lstrip("\ufeff").replace("\u00a0", " ")
    repaired = _TRAILING_COMMA.sub(r"\1", repaired).replace("'", '"')
    repaired = _BARE_KEY.sub(r'\1"\2":', repaired)
    try:
        return _loads(repaired)
    except json.JSONDecodeError as exc:
        raise invalid_json(_js_message(repaired, exc)) from None


class _Constant(Exception):
    """NaN or Infinity in a body: JSON.parse has no such literals."""


def _reject(constant: str) -> Any:
    raise _Constant(constant)


_DECODER = json.JSONDecoder(parse_constant=_reject)  # once: `json.loads(text, parse_constant=f)` builds one a call


def _loads(text: str) -> Any:
    """`json.loads(text)` refusing NaN and Infinity as JSON.parse does."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)  # as json.loads
    try:
        value = _DECODER.decode(text)
        return without_lone_surrogates(value) if "\\ud" in text.lower() else value
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError):  # an integer of more digits than Python converts, nesting past its stack
        try:
            loads_checked(text)
        except MalformedJson as exc:
            raise invalid_json(str(exc)) from None
        raise
    except _Constant as exc:
        constant = str(exc)
        raise json.JSONDecodeError(f"Unexpected token {constant[0]}", text, text.find(constant)) from None


def _js_message(text: str, exc: json.JSONDecodeError) -> str:
    """JSON.parse's wording (V8), from Python's error position."""
    if exc.pos >= len(text.rstrip()):
        return "Unexpected end of JSON input"
    return f"Unexpected token {text[exc.pos]} in JSON at position {exc.pos}"


async def _read_form(request: Request, raw: bytes, *, multipart: bool) -> Payload:
    async def replay() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    payload = Payload(multipart=multipart)
    try:
        form = await Request(request.scope, replay).form(max_files=100, max_fields=1000, max_part_size=BODY_LIMIT)
    except MultiPartException as exc:
        raise bad_request(f"Invalid multipart body: {exc.message}", None) from None
    except HTTPException as exc:  # Starlette reports parser errors this way inside an app
        raise bad_request(f"Invalid multipart body: {exc.detail}", None) from None
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                upload = Upload(name, value.filename or "", value.content_type or "", data)
                payload.files.setdefault(name, []).append(upload)
            elif name in payload.fields:  # koa-body collects a repeated field into an array
                earlier = payload.fields[name]
                payload.fields[name] = [*earlier, value] if isinstance(earlier, list) else [earlier, value]
            else:
                payload.fields[name] = value
    finally:
        await form.close()
    return payload
