"""The door of /__admin/: the path as the client spelled it, the admin token (or, without one, a loopback name in
`Host`), and a JSON body on every call that changes state. Each refusal is answered in the admin API's error
format."""

from __future__ import annotations

import hmac

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.gateways.kit.http import JsonResponse
from mockserver.server.dashboard import login_page, wants_html
from mockserver.server.settings import is_loopback

ADMIN_COOKIE = "jimeng_mock_admin_token"
"""The cookie that carries the admin token, for a browser (a dashboard) that cannot set a header."""
TEST_CLIENT_HOST = "testserver"
"""The name Starlette's in-process TestClient sends (no browser on a network sends it): answered like loopback."""
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH"})
"""The methods a cross-site page can send without a preflight (POST), and those that carry a body. DELETE cannot be
sent cross-site without a preflight the mock never grants, so it needs no body."""


class AdminGuard:
    """In front of the admin app (mounted at `prefix`)."""

    def __init__(self, app: ASGIApp, prefix: str, token: str | None, *, any_host: bool = False) -> None:
        self.app = app
        self.prefix = prefix.encode()
        self.token = None if token is None else token.encode()
        self.any_host = any_host or token is not None
        """Without a token, only requests naming this machine in `Host` are answered (`--allow-open-admin`: any)."""
        self.routes = getattr(app, "routes", [])  # what the Mount lists (url_path_for, the route table)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    def refusal(self, scope: Scope) -> Response | None:
        if not self.spelled_out(scope):
            return _error(404, "not_found", "no route: the admin API is served under /__admin/ spelled as is")
        if self.token is not None and not hmac.compare_digest(self.presented(scope), self.token):
            if scope["method"] == "GET" and wants_html(_header(scope, b"accept").decode("latin-1")):
                return Response(login_page(), status_code=401, media_type="text/html")  # a browser on the dashboard
            return _error(
                401,
                "unauthorized",
                f"the admin API needs its token: send `Authorization: Bearer <token>` or the cookie {ADMIN_COOKIE}",
                {"WWW-Authenticate": 'Bearer realm="jimeng-mock admin"'},
            )
        if not self.any_host and not _names_this_machine(_header(scope, b"host")):
            return _error(
                403,
                "forbidden_host",
                "without --admin-token the admin API answers only requests addressed to this machine by a loopback "
                "name (localhost, 127.0.0.1, [::1]): set a token to reach it by another name",
            )
        if scope["method"] in CHANGING_METHODS and not _sends_json(scope):
            return _error(
                415,
                "unsupported_media_type",
                "send a JSON body with `Content-Type: application/json` (even an empty one: {})",
            )
        return None

    def spelled_out(self, scope: Scope) -> bool:
        """Whether the client wrote the prefix itself, not percent-encoded (`/%5f%5fadmin/`): a proxy in front of
        the mock that blocks `/__admin` must not be walked around."""
        raw: bytes | None = scope.get("raw_path")
        if raw is None:
            return True
        raw = raw.partition(b"?")[0]
        return raw == self.prefix or raw.startswith(self.prefix + b"/")

    @staticmethod
    def presented(scope: Scope) -> bytes:
        """The token the request carries: its bearer token, else its admin cookie (empty when neither)."""
        cookie = b""
        name: bytes
        value: bytes
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    return credentials.strip()
            elif name == b"cookie":
                cookie = _cookie(value) or cookie
        return cookie


def _cookie(header: bytes) -> bytes:
    """The admin cookie's value among the host's cookies: read leniently, as a browser sends them (a strict parser
    drops every cookie after one it refuses, such as a value with a space that another local application set)."""
    return cookie_parser(header.decode("latin-1")).get(ADMIN_COOKIE, "").encode("latin-1")


def _names_this_machine(host: bytes) -> bool:
    """Whether a `Host` header names this machine: a page on another site that has its own name resolve to 127.0.0.1
    (DNS rebinding) still sends that name, and is refused. A request without Host (HTTP/1.0) is no browser's."""
    if not host:
        return True
    text = host.decode("latin-1").lower()
    if text.startswith("["):  # [::1] or [::1]:8000
        name = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # a name or an IPv4 address, with its port
        name = text.partition(":")[0]
    else:  # a name without a port, or a bare IPv6 address
        name = text
    return name in (TEST_CLIENT_HOST, "localhost") or name.endswith(".localhost") or is_loopback(name)


def _header(scope: Scope, wanted: bytes) -> bytes:
    name: bytes
    value: bytes
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return value
    return b""


def _sends_json(scope: Scope) -> bool:
    name: bytes
    value: bytes
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media_type = value.partition(b";")[0].strip().lower()
            return media_type == b"application/json"
    return False


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
