"""Result URLs in recorded answers: each one named by a token, so the recorder can proxy its download and the
replay can serve it from its own address (`/__results/<token>`), offline."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from starlette.types import Scope

RESULTS_PREFIX = "/__results/"
_URL = re.compile(r"https?://[^\s\"'<>\\]+")


def token(url: str) -> str:
    """A URL's name in the cassette: the same URL always gets the same one."""
    return hashlib.sha256(url.encode()).hexdigest()[:24]


def rewrite_urls(body: bytes, replace: Callable[[str], str | None]) -> bytes:
    """The JSON body with every absolute URL inside its strings given to `replace` (None keeps it); the bytes
    unchanged when nothing was replaced or the body is not JSON."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body
    changed = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal changed
        found = replace(match.group(0))
        if found is None:
            return match.group(0)
        changed = True
        return found

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return _URL.sub(substitute, value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    rewritten = walk(document)
    return json.dumps(rewritten, ensure_ascii=False, separators=(",", ":")).encode() if changed else body


def base_url(scope: Scope) -> str:
    """The address the client called (scheme and Host), for URLs it can follow back to this server."""
    host = next((value.decode("latin-1") for key, value in scope["headers"] if key == b"host"), None)
    if host is None:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"
