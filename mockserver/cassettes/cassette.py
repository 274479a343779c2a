"""A cassette: recorded HTTP interactions (with clock times, seed and scenarios), keys and tokens redacted."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

VERSION = 1
REDACTED = "***"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie", "x-security-token"}
)
"""Credentials: keys and tokens, a signature with its access key (Authorization), an STS session token."""
_SECRET_FIELD = re.compile(r"(api_?key|token(?!s)|secret|password|session_?id|sessionid|cookie)", re.IGNORECASE)
"""A field that holds a credential: a key, a token, a secret (not a count of tokens: Ark's `usage.total_tokens`)."""
_SECRET_PARAMETER = re.compile(rf"key|.*{_SECRET_FIELD.pattern}.*", re.IGNORECASE)
"""A query parameter that holds a credential: those fields, and `key` itself (`?key=`, as some APIs take theirs)."""


class CassetteError(ValueError):
    pass


@dataclass(frozen=True)
class Interaction:
    time: float
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "request": {
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "headers": self.request_headers,
                "body": _encode(self.request_body),
            },
            "response": {"status": self.status, "headers": self.response_headers, "body": _encode(self.response_body)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Interaction:
        request, response = data["request"], data["response"]
        return cls(
            float(data["time"]),
            request["method"],
            request["path"],
            request.get("query", ""),
            dict(request.get("headers", {})),
            _decode(request.get("body")),
            int(response["status"]),
            dict(response.get("headers", {})),
            _decode(response.get("body")),
        )


@dataclass
class Cassette:
    interactions: list[Interaction] = field(default_factory=list)
    seed: int | None = None
    scenarios: dict[str, str] = field(default_factory=dict)
    """Task id -> the scenario it was bound to, where known (a mock's own journal knows)."""
    source: str = ""
    results: dict[str, str] = field(default_factory=dict)
    """Token -> a result URL the recorder proxied; its download is the interaction `GET /__results/<token>`."""

    def to_json(self) -> bytes:
        document = {
            "version": VERSION,
            "seed": self.seed,
            "source": self.source,
            "scenarios": self.scenarios,
            "results": self.results,
            "interactions": [i.to_dict() for i in self.interactions],
        }
        return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode() + b"\n"

    def save(self, path: Path) -> None:
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(self.to_json())
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> Cassette:
        try:
            return cls.loads(path.read_bytes())
        except OSError as exc:
            raise CassetteError(f"{path}: not a readable cassette ({exc.strerror})") from None
        except CassetteError as exc:
            raise CassetteError(f"{path}: {exc}") from None

    @classmethod
    def loads(cls, data: bytes) -> Cassette:
        try:
            return cls.from_document(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CassetteError(f"not a readable cassette ({exc.__class__.__name__}: {exc})") from None

    @classmethod
    def from_document(cls, document: Any) -> Cassette:
        if not isinstance(document, dict) or document.get("version") != VERSION:
            version = document.get("version") if isinstance(document, dict) else None
            raise CassetteError(f"cassette version {version!r} is not {VERSION}")
        try:
            interactions = [Interaction.from_dict(item) for item in document["interactions"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"not a readable cassette ({exc.__class__.__name__}: {exc})") from None
        return cls(
            interactions,
            document.get("seed"),
            dict(document.get("scenarios") or {}),
            document.get("source", ""),
            dict(document.get("results") or {}),
        )


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): (REDACTED if name.lower() in SECRET_HEADERS else value) for name, value in headers}


def redact_query(query: str) -> str:
    """A query string with the values of secret-looking parameters masked (`key=sk-1&limit=2` shows as
    `key=***&limit=2`); the rest, names included, as sent."""
    if "=" not in query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if value and _SECRET_PARAMETER.fullmatch(unquote_plus(name)):
            part = name + equals + REDACTED
        parts.append(part)
    return "&".join(parts)


def redact_body(body: bytes) -> bytes:
    """JSON bodies keep their shape with secret-looking fields masked; other bodies, and JSON without such a field,
    pass unchanged (byte for byte: an answer replayed from a cassette is the one recorded)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, digits or nesting past what Python reads
        return body
    masked = _redact(document)
    if masked == document:
        return body
    redacted = json.dumps(masked, ensure_ascii=False, separators=(",", ":"))
    try:
        return redacted.encode()
    except UnicodeEncodeError:  # a lone surrogate (`\\ud800` in the body): kept escaped, as it was sent
        return json.dumps(masked, separators=(",", ":")).encode()


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if _SECRET_FIELD.search(k) and isinstance(v, str | int) else _redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


def _encode(body: bytes) -> dict[str, str]:
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode()}


def _decode(body: Mapping[str, str] | None) -> bytes:
    if not body:
        return b""
    if "base64" in body:
        return base64.b64decode(body["base64"])
    return body.get("text", "").encode("utf-8")
