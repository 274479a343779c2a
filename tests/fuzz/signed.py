"""Requests to the gateway that takes signatures (volcengine), for the hostile corpus: signed with the served mock's
key pair, so that a hostile body reaches the body's checks, and the Authorization headers a signature check must
refuse without choking on them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from mockserver.core.clock import SystemClock
from mockserver.core.volc_v4 import default_key_pair, sign
from tests.fuzz.served import SEED

PAIR = default_key_pair(SEED)
"""The pair the served mock accepts: none is configured, so the one its seed fixes."""
GATEWAY = "/volcengine/"
SUBMIT = "/volcengine/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31"
RESULT = "/volcengine/?Action=CVSync2AsyncGetResult&Version=2022-08-31"
PROCESS = "/volcengine/?Action=CVProcess&Version=2022-08-31"
T2V = "jimeng_t2v_v30"


def is_signed(target: str) -> bool:
    return target.startswith(GATEWAY)


def signature_lines(target: str, body: bytes) -> tuple[bytes, ...]:
    """The header lines that sign a JSON POST of `body` to `target` as the Python SDK does (Host `localhost`, as the
    corpus sends it; Content-Type is the corpus's own line)."""
    url = urlsplit(target)
    query = parse_qsl(url.query, keep_blank_values=True)
    signed = sign(PAIR, "POST", url.path, query, "localhost", body, now=SystemClock().now())
    return tuple(f"{name}: {value}".encode() for name, value in signed.items() if name not in ("Host", "Content-Type"))


def result_body(task_id: str, **more: object) -> bytes:
    """A GetResult body, the volcengine gateway's poll."""
    return json.dumps({"req_key": T2V, "task_id": task_id, **more}).encode()


def authorizations() -> Iterator[tuple[str, bytes]]:
    """(name, an Authorization header line) for a signature check to refuse: malformed, oversized, not UTF-8."""
    scope = f"{PAIR.access_key}/20261206/cn-north-1/cv/request"

    def scheme(credential: str, signed_headers: str = "host", signature: str = "00") -> bytes:
        parts = f"Credential={credential}, SignedHeaders={signed_headers}, Signature={signature}"
        return f"Authorization: HMAC-SHA256 {parts}".encode()

    yield "empty", b"Authorization: "
    yield "bearer", b"Authorization: Bearer sk-fuzz"
    yield "bare-algorithm", b"Authorization: HMAC-SHA256 "
    yield "commas", b"Authorization: HMAC-SHA256 " + b"," * 60_000
    yield "equals", b"Authorization: HMAC-SHA256 " + b"=" * 60_000
    yield "bad-utf8", b"Authorization: HMAC-SHA256 Credential=\xff\xfe/20261206/cn-north-1/cv/request"
    yield "no-signature", scheme(scope, signature="")
    yield "unknown-key", scheme("AKfuzz/20261206/cn-north-1/cv/request")
    yield "many-signed-headers", scheme(scope, signed_headers=";".join(["x-date"] * 10_000))
    yield "long-region", scheme(f"{PAIR.access_key}/20261206/{'r' * 20_000}/cv/request")
    yield "slashes", scheme("/" * 20_000)
