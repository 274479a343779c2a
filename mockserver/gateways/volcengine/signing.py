"""Signature V4, really checked: the mock recomputes the client's signature from what it sent.

The headers are those the client lists in SignedHeaders (the official Python SDK signs content-type, host,
x-content-sha256 and x-date, the Go SDK every X- header as well: verify what was sent, not a fixed set), the query
as sent, the body's SHA-256 as received. The region is the client's scope (answers echo it); the service must be
cv. X-Date must be within 15 minutes of the mock's clock or of the machine's: clients sign with the machine's time
while a virtual clock starts at a fixed instant and is moved on by tests, so a virtual clock alone would refuse every
real client; a date far from both is refused whatever the clock.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from mockserver.core.clock import SystemClock
from mockserver.core.volc_v4 import (
    ALGORITHM,
    KeyPair,
    canonical_request,
    default_key_pair,
    hex_sha256,
    query_pairs,
    signature,
)
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.volcengine.errors import SERVICE, OpenApiError

_CREDENTIAL = re.compile(r"^(?P<ak>[^/]+)/(?P<date>[0-9]{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/request$")
_WALL = SystemClock()
_X_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
"""X-Date as the SDKs write it (`volc_v4.DATE_FORMAT`: `20060102T150405Z`)."""


class SignedRequest(NamedTuple):
    """What the signature covers, as the request arrived (header names in lower case)."""

    method: str
    paths: Sequence[str]
    """The path as sent, and the path below the gateway's mount: a client may sign either."""
    query: str
    headers: Mapping[str, str]
    body: bytes
    action: str
    version: str


def accepted_pairs(api_keys: Iterable[str] | None, seed: int) -> list[KeyPair]:
    """The `AK|SK` entries of the provider's api_keys (new-api's channel key format; other keys are other gateways'
    bearer keys), else the default pair fixed by the seed (printed at start)."""
    configured = sorted(pair for key in api_keys or () if (pair := KeyPair.parse(key)) is not None)
    return configured or [default_key_pair(seed)]


def key_pairs(context: ProviderContext) -> dict[str, str]:
    """Accepted access keys and their secrets."""
    pairs = accepted_pairs(context.settings.api_keys, context.randomness.seed)
    return {pair.access_key: pair.secret_key for pair in pairs}


def verify(context: ProviderContext, request: SignedRequest, secrets: Mapping[str, str], skew: float) -> str:
    """The access key that signed `request`; raises OpenApiError for what is missing or wrong, in the order a client
    can fix them: the Authorization header, its parts, the key, the time, the signature."""

    def refuse(name: str, message: str | None = None, region: str = "cn-north-1") -> OpenApiError:
        return OpenApiError(
            context, name, message=message, action=request.action, version=request.version, region=region
        )

    authorization = request.headers.get("authorization", "").strip()
    if not authorization.startswith(ALGORITHM + " "):
        raise refuse("missing_authentication_token", _no_token(authorization))
    parts = _parts(authorization[len(ALGORITHM) + 1 :])
    credential = _CREDENTIAL.match(parts.get("Credential", ""))
    region = credential["region"] if credential else "cn-north-1"
    if credential is None or "SignedHeaders" not in parts:
        raise refuse("missing_request_info", region=region)
    if not parts.get("Signature"):
        raise refuse("missing_signature", region=region)
    access_key = credential["ak"]
    if access_key not in secrets:
        raise refuse("invalid_access_key", f"The accesskey [{access_key}] included in the request is invalid.", region)
    x_date = request.headers.get("x-date", "")
    signed_at = _parse_date(x_date)
    if signed_at is None:
        raise refuse("missing_request_info", f"X-Date {x_date!r} is not a date like 20060102T150405Z", region)
    now = context.clock.now()
    if min(abs(signed_at - now), abs(signed_at - _WALL.now())) > skew:
        raise refuse("invalid_timestamp", region=region)
    signed_headers = [name.strip().lower() for name in parts["SignedHeaders"].split(";") if name.strip()]
    query = query_pairs(request.query)
    body_sha256 = hex_sha256(request.body)
    for path in request.paths:
        canonical = canonical_request(request.method, path, query, request.headers, signed_headers, body_sha256)
        expected = signature(secrets[access_key], x_date, credential["region"], SERVICE, canonical)
        if credential["service"] == SERVICE and hmac.compare_digest(expected, parts["Signature"]):
            return access_key
    raise refuse("signature_does_not_match", region=region)


def _no_token(authorization: str) -> str | None:
    if not authorization:
        return None
    scheme = authorization.split(" ", 1)[0]
    return f"The Authorization header is {scheme[:32]!r}, not an {ALGORITHM} signature"


def _parts(text: str) -> dict[str, str]:
    """`Credential=..., SignedHeaders=..., Signature=...` as a mapping (commas with or without spaces)."""
    parts: dict[str, str] = {}
    for item in text.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts[name.strip()] = value.strip()
    return parts


def _parse_date(text: str) -> float | None:
    """X-Date (UTC) as unix time; None when it is not one."""
    if _X_DATE.fullmatch(text) is None:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()  # the basic ISO 8601 form, Z for UTC
    except ValueError:  # a day or an hour out of range
        return None
