"""Signed result URLs: HMAC-SHA256 over the path, the query and the expiry, checked on the mock's clock."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

_UNQUOTED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


class SignatureError(Exception):
    """The URL was altered or signed with another key."""


class ExpiredError(Exception):
    """The URL was genuine but its lifetime has ended."""


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

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
        return hmac.new(self._secret, canonical.encode(), hashlib.sha256).hexdigest()


def _urlencode(pairs: Iterable[tuple[str, str]]) -> str:
    """`urllib.parse.urlencode` for string pairs, byte for byte, without quoting what needs none (the hot path
    of every result URL)."""
    return "&".join(f"{_quote(key)}={_quote(value)}" for key, value in pairs)


def _quote(text: str) -> str:
    return text if _UNQUOTED.issuperset(text) else quote_plus(text)
