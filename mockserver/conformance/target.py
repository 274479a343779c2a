"""Where the checks are pointed: the mock in-process, a running mock by URL, or a real gateway."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

import httpx

from mockserver.contracts.contract import load_contract
from mockserver.core.clock import SystemClock
from mockserver.core.volc_v4 import KeyPair, default_key_pair, sign


class HttpResponse(Protocol):
    status_code: int
    content: bytes

    @property
    def headers(self) -> Mapping[str, str]: ...


@dataclass
class Target:
    """A gateway to check. `wait(seconds)` lets time pass: the mock's virtual clock, or a real sleep."""

    provider: str
    client: Any  # an httpx (or Starlette test) client; its base URL is the gateway's base URL
    api_key: str
    wait: Callable[[float], object]
    description: str
    virtual_time: bool = False
    hint: str = ""
    """Added to a timeout's report: what may have kept the tasks from finishing."""
    signing: Mapping[str, str] | None = None
    """The contract's request signature (`x-conformance.auth`), when its gateway takes no bearer key."""

    def send(self, method: str, path: str, *, headers: Mapping[str, str], body: Any = None) -> HttpResponse:
        if self.signing is not None:
            return self._send_signed(method, path, headers, body)
        kwargs: dict[str, Any] = {"headers": dict(headers)}
        if body is not None:
            kwargs["json"] = body
        response: HttpResponse = self.client.request(method.upper(), path.lstrip("/"), **kwargs)
        return response

    def _send_signed(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> HttpResponse:
        """A Volcengine signature V4 in place of the runner's bearer credential (the key pair as `AK|SK`); a request
        sent without a credential goes unsigned."""
        content = b"" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        plain = {name: value for name, value in headers.items() if name.lower() != "authorization"}
        request = self.client.build_request(method.upper(), path.lstrip("/"), content=content, headers=plain)
        bearer = headers.get("Authorization", "")
        pair = KeyPair.parse(bearer.removeprefix("Bearer ")) if bearer.startswith("Bearer ") else None
        if pair is not None:
            assert self.signing is not None
            url = request.url
            signed = sign(
                pair,
                method,
                url.path,
                parse_qsl(url.query.decode() if isinstance(url.query, bytes) else url.query, keep_blank_values=True),
                request.headers["host"],
                content,
                region=self.signing.get("region", "cn-north-1"),
                service=self.signing.get("service", "cv"),
                now=SystemClock().now(),
            )
            request.headers.update(signed)
        response: HttpResponse = self.client.send(request)
        return response

    def close(self) -> None:
        self.client.close()

    def download(self, url: str) -> HttpResponse:
        response: HttpResponse = self.client.request("GET", url)
        return response


def in_process(provider: str, runtime: Any = None, api_key: str = "sk-conformance") -> Target:
    """The mock in this process (no socket), on a virtual clock the runner advances."""
    from starlette.testclient import TestClient

    from mockserver.server.app import create_app
    from mockserver.server.runtime import MockRuntime
    from mockserver.server.settings import Settings

    runtime = runtime or MockRuntime(Settings(clock="virtual"))
    client = TestClient(create_app(runtime=runtime), base_url=f"http://testserver/{provider}/")
    signing = signing_of(provider)
    if signing is not None and KeyPair.parse(api_key) is None:
        api_key = str(default_key_pair(runtime.settings.seed))  # the pair the mock accepts when none is configured
    description = "the mock, in-process"
    return Target(provider, client, api_key, runtime.clock.advance, description, virtual_time=True, signing=signing)


def signing_of(provider: str) -> Mapping[str, str] | None:
    """The request signature the provider's contract asks for (`x-conformance.auth`), None for a bearer key."""
    auth: Mapping[str, str] | None = load_contract(provider).document.get("x-conformance", {}).get("auth")
    return auth


def gateway_root(base_url: str, client_base_path: str) -> str:
    """The gateway's address, which the contract's paths follow, from the base URL a client is given: an
    OpenAI SDK's base URL (`.../v1`) and the gateway's own address are both accepted."""
    root = base_url.rstrip("/")
    return root.removesuffix(client_base_path) if client_base_path else root


def by_url(
    provider: str,
    base_url: str,
    api_key: str,
    *,
    mock_admin: str | None = None,
    mock_admin_token: str | None = None,
    sleep: Callable[[float], None] | None = None,
    request_timeout: float = 30.0,
) -> Target:
    """A gateway over HTTP. With `mock_admin` (a jimeng-mock's /__admin URL on a virtual clock) waiting
    advances that clock (sending `mock_admin_token` when the mock wants one); otherwise the runner really waits."""
    root = gateway_root(base_url, load_contract(provider).client_base_path)
    client = httpx.Client(base_url=root + "/", timeout=request_timeout, follow_redirects=True)
    headers = {"Authorization": f"Bearer {mock_admin_token}"} if mock_admin_token else {}
    found = None if mock_admin else find_mock_admin(client, headers)
    if mock_admin or found:
        admin = (mock_admin or found or "").rstrip("/")

        def advance(seconds: float) -> None:
            client.post(f"{admin}/clock/advance", json={"seconds": seconds}, headers=headers).raise_for_status()

        where = f" (its virtual clock found at {admin})" if found else ""
        description = f"jimeng-mock at {base_url}{where}"
        return Target(provider, client, api_key, advance, description, virtual_time=True, signing=signing_of(provider))
    if sleep is None:
        import time

        sleep = time.sleep
    hint = (
        "; if the target is a jimeng-mock on a virtual clock its tasks wait for that clock: pass "
        "--mock-admin <server>/__admin (and --mock-admin-token when its admin API wants one)"
    )
    return Target(provider, client, api_key, sleep, base_url, hint=hint, signing=signing_of(provider))


def find_mock_admin(client: httpx.Client, headers: dict[str, str]) -> str | None:
    """The admin API of a jimeng-mock on a virtual clock at the base URL's server, or None: one GET without
    the API key (`/__admin/clock`, with the admin token when one was given), which a real gateway answers with
    an error or a page that is not a clock."""
    origin = f"{client.base_url.scheme}://{client.base_url.netloc.decode('ascii')}"
    try:
        response = client.get(f"{origin}/__admin/clock", headers=headers, timeout=5.0)
        clock = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    if isinstance(clock, dict) and clock.get("mode") == "virtual" and isinstance(clock.get("now"), int | float):
        return f"{origin}/__admin"
    return None
