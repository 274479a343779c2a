"""Test helpers: a client that holds every gateway response to its contract, and small builders."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Generator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2
import requests
from PIL import Image
from starlette.testclient import TestClient

from mockserver.conformance import Exchange
from mockserver.conformance.response_checks import response_schema_conformance, status_code_documented
from mockserver.contracts.contract import load_contract
from mockserver.core.clock import SystemClock
from mockserver.core.volc_v4 import KeyPair, sign
from mockserver.server.app import create_app
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings

# The conformance checks every response in the tests meets (whoever sends the request); the rest
# (error catalogue, hints) run in tests/contract, where scripted faults are not in play.
CLIENT_CHECKS = (status_code_documented, response_schema_conformance)

KEY = "sk-test"
AUTH = {"Authorization": f"Bearer {KEY}"}


class ContractClient(TestClient):
    """A TestClient that validates every gateway response against that gateway's contract."""

    def __init__(self, runtime: MockRuntime) -> None:
        super().__init__(create_app(runtime=runtime))
        self.runtime = runtime
        self.checked = 0

    def send(self, request: httpx2.Request, *args: Any, **kwargs: Any) -> httpx2.Response:
        """Every request goes through here, whether made by the test or by a real client (the OpenAI SDK)."""
        response = super().send(request, *args, **kwargs)
        self._check(request.method, response)
        return response

    def _check(self, method: str, response: httpx2.Response) -> None:
        path = response.request.url.path
        provider, _, rest = path.lstrip("/").partition("/")
        if provider == "__admin":
            contract, rest = load_contract("admin"), path
        elif provider in self.runtime.contexts:
            contract, rest = load_contract(provider), "/" + rest
        else:
            return
        if not response.headers.get("content-type", "").startswith("application/json"):
            return
        response.read()
        query = response.request.url.query
        if query:  # an Action API names its operation in the query
            rest += "?" + (query.decode() if isinstance(query, bytes) else query)
        exchange = Exchange(contract, method, rest, response.status_code, response.headers, response.content)
        for check in CLIENT_CHECKS:
            check(exchange)
        self.checked += 1


def make_client(**settings: Any) -> ContractClient:
    settings.setdefault("clock", "virtual")
    return ContractClient(MockRuntime(Settings(**settings)))


def png_base64(width: int, height: int, fmt: str = "PNG", color: tuple[int, int, int] = (200, 80, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def submit(client: TestClient, **body: Any) -> httpx2.Response:
    body.setdefault("model", "jimeng-video-3.0")
    return client.post("/crazyrouter/jimeng/submit/videos", json=body, headers=AUTH)


def fetch(client: TestClient, task_id: str) -> dict[str, Any]:
    response = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def run_to_end(client: ContractClient, task_id: str, step: float = 5.0, limit: float = 3600.0) -> list[str]:
    """Poll while advancing the virtual clock until the task is terminal; the states seen, in order."""
    seen = [fetch(client, task_id)["status"]]
    waited = 0.0
    while seen[-1] not in ("succeeded", "failed"):
        assert waited < limit, f"task {task_id} still {seen[-1]} after {limit} s"
        client.runtime.clock.advance(step)
        waited += step
        seen.append(fetch(client, task_id)["status"])
    return seen


def deleted_meanwhile(client: ContractClient) -> None:
    """Make the engine's deletes find their task deleted by another request first (a race across requests or
    workers): each deletes it, then tries again, and answers what the second try found."""
    engine = client.runtime.engine
    delete = engine.adelete

    async def second_delete(provider: str, task_id: str) -> bool:
        assert await delete(provider, task_id)
        return await delete(provider, task_id)

    engine.adelete = second_delete  # type: ignore[method-assign]


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class VolcengineSignature(requests.auth.AuthBase):
    """requests' `auth=`: signs the request as prepared (its URL and body bytes, final) with Volcengine's signature V4,
    for generated requests (schemathesis) to a gateway that takes signatures, not keys."""

    def __init__(self, pair: KeyPair) -> None:
        self.pair = pair

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(prepared.url or "")
        body = prepared.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)  # type: ignore[arg-type]
        query = parse_qsl(url.query, keep_blank_values=True)
        content_type = str(prepared.headers.get("Content-Type", "application/json"))
        method = prepared.method or "POST"
        signed = sign(
            self.pair, method, url.path, query, url.netloc, raw, now=SystemClock().now(), content_type=content_type
        )
        prepared.headers.update({name: value for name, value in signed.items() if name != "Host"})
        return prepared


class VolcengineAuth(httpx2.Auth):
    """httpx's `auth=`: a request carrying `Authorization: Bearer <key>` is sent signed with `pair` instead (Volcengine
    signature V4 over the request as built), so a test written for bearer gateways reaches one that takes
    signatures; a request without it goes unsigned."""

    def __init__(self, key: str, pair: KeyPair) -> None:
        self.bearer, self.pair = f"Bearer {key}", pair

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        if request.headers.get("Authorization") == self.bearer:
            url = request.url
            query = parse_qsl(url.query.decode(), keep_blank_values=True)
            content_type = request.headers.get("Content-Type", "application/json")
            now = SystemClock().now()
            signed = sign(
                self.pair,
                request.method,
                url.path,
                query,
                url.netloc.decode(),
                request.content,
                now=now,
                content_type=content_type,
            )
            request.headers.update({name: value for name, value in signed.items() if name != "Host"})
        yield request
