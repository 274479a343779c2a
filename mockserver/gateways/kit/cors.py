"""Cross-origin answers as each gateway's lineage gives them, so a browser application can call the mock directly.

Two policies, from the middleware each lineage runs:
- `KOA2_CORS`, jimeng2api's `koa2-cors` with its defaults: every response allows any origin and varies on Origin;
  an OPTIONS request naming `Access-Control-Request-Method` is a 204 preflight, any other OPTIONS goes on to the
  routes (and their 404).
- `GIN_ALL_ORIGINS`, new-api's `gin-contrib/cors` (AllowAllOrigins, AllowCredentials, methods GET POST PUT DELETE
  OPTIONS, headers `*`, the default 12 h max age): only a request with a foreign `Origin` is answered for CORS, and
  any OPTIONS request with one is a 204 preflight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Scope

Headers = list[tuple[bytes, bytes]]


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


@dataclass(frozen=True)
class CorsPolicy:
    every_response: bool
    """True: every response carries the headers; False: only requests with a foreign `Origin` (gin-contrib)."""
    normal: Sequence[tuple[bytes, bytes]]
    """Headers of an ordinary (non-preflight) response."""
    preflight_extra: Sequence[tuple[bytes, bytes]]
    """Headers a preflight adds to `normal`."""
    preflight_needs_method: bool
    """True: only an OPTIONS naming `Access-Control-Request-Method` is a preflight (koa2-cors)."""
    echo_request_headers: bool
    """True: `Access-Control-Allow-Headers` repeats the request's `Access-Control-Request-Headers`."""

    def applies(self, scope: Scope) -> bool:
        if self.every_response:
            return True
        headers = dict(scope["headers"])  # a repeated header: its last value
        origin = headers.get(b"origin")
        if not origin:
            return False
        host = bytes(headers.get(b"host") or b"")
        return origin not in (b"http://" + host, b"https://" + host)  # same origin: not a CORS request

    def headers(self, scope: Scope) -> Headers:
        """The headers to add to a response (none when the request is not a CORS request)."""
        return list(self.normal) if self.applies(scope) else []

    def preflight(self, scope: Scope) -> Response | None:
        """The 204 answer when the request is a preflight, else None (it goes on to the routes)."""
        if scope["method"] != "OPTIONS" or not self.applies(scope):
            return None
        if self.preflight_needs_method and not _header(scope, b"access-control-request-method"):
            return None
        response = Response(status_code=204)
        response.raw_headers.extend([*self.normal, *self.preflight_extra])
        requested = _header(scope, b"access-control-request-headers")
        if self.echo_request_headers and requested:
            response.raw_headers.append((b"access-control-allow-headers", requested))
        return response


KOA2_CORS = CorsPolicy(
    every_response=True,
    normal=((b"vary", b"Origin"), (b"access-control-allow-origin", b"*")),
    preflight_extra=((b"access-control-allow-methods", b"GET,PUT,POST,PATCH,DELETE,HEAD,OPTIONS"),),
    preflight_needs_method=True,
    echo_request_headers=True,
)

GIN_ALL_ORIGINS = CorsPolicy(
    every_response=False,
    normal=((b"access-control-allow-credentials", b"true"), (b"access-control-allow-origin", b"*")),
    preflight_extra=(
        (b"access-control-allow-methods", b"GET,POST,PUT,DELETE,OPTIONS"),
        (b"access-control-allow-headers", b"*"),
        (b"access-control-max-age", b"43200"),
    ),
    preflight_needs_method=False,
    echo_request_headers=False,
)
