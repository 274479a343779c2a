"""Signed result URLs: HMAC-SHA256 over the path, the query and the expiry, checked on the mock's clock."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode


class SignatureError(Exception):
    """The URL was altered or signed with another key."""


class ExpiredError(Exception):
    """The URL was genuine but its lifetime has ended."""


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)
        """The key set up once; each signature starts from a copy."""

    def sign(self, path: str, params: Mapping[str, str], expires: int) -> str:
        """The query string (`k=v&...&expires=T&signature=S`) that makes `path` fetchable until `expires`."""
        fields = {**params, "expires": str(expires)}
        return urlencode([*fields.items(), ("signature", self._digest(path, fields))])

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
        mac = self._keyed.copy()
        mac.update(f"{path}?{urlencode(sorted(fields.items()))}".encode())
        return mac.hexdigest()
