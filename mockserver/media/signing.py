"""Signed result URLs: HMAC-SHA256 over the path, the query and the expiry, checked on the mock's clock."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9_.~-]")
_BLOCK = 64  # SHA-256's block size
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


class SignatureError(Exception):
    """The URL was altered or signed with another key."""


class ExpiredError(Exception):
    """The URL was genuine but its lifetime has ended."""


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        # HMAC (RFC 2104) with both padded keys hashed once: each URL then costs two hash copies, not the
        # key setup `hmac.digest` repeats on every call
        key = (hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret).ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def sign(self, path: str, params: Mapping[str, str], expires: int) -> str:
        """The query string (`k=v&...&expires=T&signature=S`) that makes `path` fetchable until `expires`."""
        fields = {**params, "expires": str(expires)}
        return _urlencode([*fields.items(), ("signature", self._digest(path, fields))])

    def verify(self, path: str, query: Mapping[str, str], now: float) -> dict[str, str]:
        """The signed parameters of a genuine, unexpired URL; raises SignatureError or ExpiredError."""
        fields = {k: v for k, v in query.items() if k != "signature"}
        given = query.get("signature", "").encode("utf-8", "surrogateescape")
        if "expires" not in fields or not hmac.compare_digest(given, self._digest(path, fields).encode()):
            raise SignatureError(path)
        try:
            expires = int(fields["expires"])
        except ValueError:
            raise SignatureError(path) from None
        if now >= expires:
            raise ExpiredError(path)
        return fields

    def _digest(self, path: str, fields: Mapping[str, str]) -> str:
        canonical = path + "?" + _urlencode(sorted(fields.items()))
        inner, outer = self._inner.copy(), self._outer.copy()
        inner.update(canonical.encode())
        outer.update(inner.digest())
        return outer.hexdigest()


def _urlencode(pairs: Iterable[tuple[str, str]]) -> str:
    """`urllib.parse.urlencode` for string pairs, byte for byte, without quoting what needs none (the hot path
    of every result URL)."""
    pairs = list(pairs)
    if _NEEDS_QUOTING.search("".join(map("".join, pairs))) is None:
        return "&".join(map("=".join, pairs))
    return "&".join([f"{quote_plus(key)}={quote_plus(value)}" for key, value in pairs])
