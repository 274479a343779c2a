"""What the routes read from a request's headers before handing plain values to the gateway."""

from __future__ import annotations

import re

from starlette.requests import Request

from mockserver.gateways.jimeng2api import errors
from mockserver.gateways.kit.http import header

_BEARER = re.compile(r"^Bearer\s+(.+)$", re.IGNORECASE | re.DOTALL)


def credential(request: Request) -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header, as the server's regex reads it."""
    text = header(request, b"authorization").strip()
    match = _BEARER.match(text)
    return match.group(1).strip() if match else None


def require_authorization_header(request: Request) -> None:
    """`request.validate('headers.authorization', _.isString)`, before the API key is looked at."""
    for name, _ in request.scope["headers"]:
        if name == b"authorization":
            return
    raise errors.params_invalid("headers.authorization")
