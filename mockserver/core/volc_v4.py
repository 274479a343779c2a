"""Volcengine's request signature, version 4 (HMAC-SHA256), as the official SDKs compute it: the one algorithm the
mock verifies (gateways/volcengine/signing.py) and its own clients sign with (conformance, tests).

A canonical request (method, path, sorted query, the signed headers, the body's SHA-256) is hashed into a string
to sign with the date and the credential scope `<yyyymmdd>/<region>/<service>/request`; the key is the secret
HMAC-chained through the date, region, service and "request" (reference upstreams.md 1.1; the Python SDK's
`volcengine/auth/SignerV4.py`, the Go SDK's `base/sign.go`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote

from mockserver.core.randomness import RandomSource

ALGORITHM = "HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
SCOPE_TERMINATOR = "request"
DEFAULT_PORTS = (":80", ":443")


@dataclass(frozen=True, order=True)
class KeyPair:
    access_key: str
    secret_key: str

    @classmethod
    def parse(cls, text: str) -> KeyPair | None:
        """`AK|SK`, the way new-api stores a Volcengine channel key; None for anything else."""
        access, sep, secret = text.partition("|")
        if not sep or not access.strip() or not secret.strip() or "|" in secret:
            return None
        return cls(access.strip(), secret.strip())

    def __str__(self) -> str:
        return f"{self.access_key}|{self.secret_key}"


def default_key_pair(seed: int) -> KeyPair:
    """The pair a mock accepts when none is configured: fixed by its seed, printed at start."""
    randomness = RandomSource(seed)
    return KeyPair("AKLT" + randomness.token("volcengine:access-key", 40), randomness.token("volcengine:secret", 40))


def hex_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Pairs sorted by name, each name and value percent-encoded (only `-_.~` kept), joined by `&`."""
    return _canonical_query(tuple(pairs))


@lru_cache(maxsize=256)
def _canonical_query(pairs: tuple[tuple[str, str], ...]) -> str:
    """`canonical_query` of a tuple of pairs, kept for the last queries seen (PERFORMANCE.md)."""
    encoded = sorted((quote(name, safe="-_.~"), quote(value, safe="-_.~")) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


@lru_cache(maxsize=256)
def query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    """A query string's pairs as sent, in order, blank values kept; kept for the last queries seen
    (PERFORMANCE.md)."""
    return tuple(parse_qsl(query, keep_blank_values=True))


def canonical_path(path: str) -> str:
    return quote(path or "/", safe="/~")


def header_value(name: str, value: str) -> str:
    """A signed header's canonical value: trimmed, and a Host without its scheme's default port (both SDKs)."""
    value = value.strip()
    if name == "host" and value.endswith(DEFAULT_PORTS):
        value = value.rsplit(":", 1)[0]
    return value


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    body_sha256: str,
) -> str:
    """`headers` by lower-case name; `signed_headers` the lower-case names the client listed, in its order."""
    lines = "".join(f"{name}:{header_value(name, headers.get(name, ''))}\n" for name in signed_headers)
    return "\n".join(
        [method.upper(), canonical_path(path), canonical_query(query), lines, ";".join(signed_headers), body_sha256]
    )


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The secret HMAC-chained through the scope (date, region, service), kept for the last scopes seen as the SDKs'
    signers keep theirs (PERFORMANCE.md)."""
    key = secret.encode()
    for part in (date, region, service, SCOPE_TERMINATOR):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def signature(secret: str, x_date: str, region: str, service: str, canonical: str) -> str:
    date = x_date[:8]
    scope = f"{date}/{region}/{service}/{SCOPE_TERMINATOR}"
    to_sign = "\n".join([ALGORITHM, x_date, scope, hex_sha256(canonical.encode())])
    return hmac.digest(signing_key(secret, date, region, service), to_sign.encode(), "sha256").hex()


def sign(
    pair: KeyPair,
    method: str,
    url_path: str,
    query: Iterable[tuple[str, str]],
    host: str,
    body: bytes,
    *,
    region: str = "cn-north-1",
    service: str = "cv",
    now: float,
    content_type: str = "application/json",
) -> dict[str, str]:
    """The headers a client adds to sign a request as the Python SDK does (Content-Type, Host and the X- headers
    signed), `now` giving X-Date."""
    x_date = time.strftime(DATE_FORMAT, time.gmtime(now))
    body_sha256 = hex_sha256(body)
    headers = {"content-type": content_type, "host": host, "x-content-sha256": body_sha256, "x-date": x_date}
    signed = sorted(headers)
    canonical = canonical_request(method, url_path, query, headers, signed, body_sha256)
    scope = f"{x_date[:8]}/{region}/{service}/{SCOPE_TERMINATOR}"
    authorization = (
        f"{ALGORITHM} Credential={pair.access_key}/{scope}, SignedHeaders={';'.join(signed)}, "
        f"Signature={signature(pair.secret_key, x_date, region, service, canonical)}"
    )
    return {
        "Content-Type": content_type,
        "Host": host,
        "X-Content-Sha256": body_sha256,
        "X-Date": x_date,
        "Authorization": authorization,
    }
