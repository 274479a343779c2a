"""The error pipeline (kit/errors.py): every gateway answers each common failure in its own shape, a 405 carries
`Allow`, and a bug of the mock is a 500 in the gateway's shape that still reaches the server's log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from mockserver.core.volc_v4 import default_key_pair
from mockserver.gateways import PROVIDER_IDS
from mockserver.gateways.jimeng2api import body as jimeng2api_body
from mockserver.gateways.kit.errors import ErrorShape, GatewayError, exception_handlers
from mockserver.gateways.kit.faults import FaultMiddleware
from mockserver.gateways.kit.http import BodyTooLarge, MalformedBody, MalformedHeader, MalformedJson, read_json
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.scenarios import UnknownScenario
from mockserver.server.app import create_app
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from tests.support import AUTH, KEY, VolcengineAuth


def new_api_shape(response: httpx2.Response) -> bool:
    body = response.json()
    task_shape = set(body) == {"code", "message", "data"} and body["data"] is None
    openai_shape = set(body) == {"error"} and set(body["error"]) == {"code", "message", "type"}
    return (task_shape or openai_shape) and "x-oneapi-request-id" in response.headers


def volcengine_shape(response: httpx2.Response) -> bool:
    body = response.json()
    keys = {"code", "data", "message", "request_id", "status", "time_elapsed"}
    return set(body) == keys and body["code"] == body["status"] != 10000


def volcengine_answer_shape(response: httpx2.Response) -> bool:
    """Volcengine Visual's business envelope, or the ResponseMetadata of the gateway in front of it."""
    body = response.json()
    if set(body) == {"ResponseMetadata"}:
        return set(body["ResponseMetadata"]["Error"]) == {"CodeN", "Code", "Message"}
    return volcengine_shape(response)


def openai_error_shape(response: httpx2.Response) -> bool:
    body = response.json()
    return set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}


def jimmy_shape(response: httpx2.Response) -> bool:
    body = response.json()
    return set(body) == {"code", "msg", "data"} and body["data"] is None and body["code"] != "20000"


def ark_shape(response: httpx2.Response) -> bool:
    """Ark's `{"error": {code, message, param, type}}`, the message ending with the answer's request id."""
    body = response.json()
    if set(body) != {"error"} or set(body["error"]) != {"code", "message", "param", "type"}:
        return False
    return bool(body["error"]["message"].endswith("Request id: " + response.headers["x-request-id"]))


@dataclass(frozen=True)
class Gateway:
    submit: str
    """A route taking a JSON body, which chooses the task's scenario."""
    other_method: str
    """A method the submit route does not take."""
    wrong_method_status: int
    """What the gateway answers a known path with another method: its router's 404, or 405."""
    in_shape: Callable[[httpx2.Response], bool]
    crash: dict[str, Any]
    """The 500 body of an unexpected `RuntimeError('boom')` (the fields that say so)."""


GATEWAYS = {
    "crazyrouter": Gateway(
        "/jimeng/submit/videos",
        "GET",
        404,
        new_api_shape,
        {"code": "internal_error", "message": "mock internal error: RuntimeError('boom')"},
    ),
    "octopusx": Gateway(
        "/v1/video/create",
        "GET",
        404,
        new_api_shape,
        {"code": "internal_error", "message": "mock internal error: RuntimeError('boom')"},
    ),
    "gptge": Gateway(
        "/task/jimeng/text2video",
        "GET",
        404,
        volcengine_shape,
        {"code": 50500, "message": "Internal Error: mock internal error (RuntimeError)"},
    ),
    "jimeng2api": Gateway(
        "/v1/videos/generations",
        "GET",
        404,
        openai_error_shape,
        {
            "error": {
                "message": "mock internal error: RuntimeError('boom')",
                "type": "api_error",
                "param": None,
                "code": -1000,
            }
        },
    ),
    "jimmyai": Gateway(
        "/api/open-api/v1/seedance/videos",
        "GET",
        405,
        jimmy_shape,
        {"code": "50000", "msg": "internal error: RuntimeError('boom')"},
    ),
    "volcengine": Gateway(
        "/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31",
        "GET",
        404,
        volcengine_answer_shape,
        {"code": 50500, "message": "Internal Error: mock internal error (RuntimeError)"},
    ),
    "ark": Gateway(
        "/api/v3/contents/generations/tasks",
        "PUT",
        404,
        ark_shape,
        {},  # the message carries the answer's request id: ark_shape checks it, the 500 is checked by its status
    ),
}
SIGNED = {"volcengine": VolcengineAuth(KEY, default_key_pair(0))}
"""Gateways that take signatures, not keys: the test's bearer key is sent as a signature (the mock's default pair)."""


def gateway_client(provider: str, app: Any, **options: Any) -> TestClient:
    """A client of `app` that reaches `provider` with the test's credential, signed for a gateway that wants that."""
    client = TestClient(app, **options)
    if provider in SIGNED:
        client.auth = SIGNED[provider]
    return client


def test_every_gateway_is_covered() -> None:
    assert set(GATEWAYS) == set(PROVIDER_IDS)


@pytest.fixture
def runtime() -> Iterator[MockRuntime]:
    runtime = MockRuntime(Settings(clock="virtual"))
    yield runtime
    runtime.close()


def crash_on_scenario_choice(runtime: MockRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every gateway chooses a submit's scenario: make that raise, as a bug of the mock would."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    for context in runtime.contexts.values():
        monkeypatch.setattr(context.scenarios, "select", boom)


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_an_unexpected_exception_is_a_500_in_the_gateways_own_shape(
    provider: str, runtime: MockRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = GATEWAYS[provider]
    crash_on_scenario_choice(runtime, monkeypatch)
    client = gateway_client(provider, create_app(runtime=runtime), raise_server_exceptions=False)
    response = client.post(f"/{provider}{gateway.submit}", json={"prompt": "a cat"}, headers=AUTH)
    assert response.status_code == 500
    assert gateway.in_shape(response), response.text
    assert response.json().items() >= gateway.crash.items()
    assert runtime.journal.entries(provider=provider)[-1].status == 500


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_an_unexpected_exception_still_reaches_the_servers_log(
    provider: str, runtime: MockRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_on_scenario_choice(runtime, monkeypatch)
    client = gateway_client(provider, create_app(runtime=runtime))
    with pytest.raises(RuntimeError, match="boom"):
        client.post(f"/{provider}{GATEWAYS[provider].submit}", json={"prompt": "a cat"}, headers=AUTH)


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_an_unknown_path_is_a_404_in_the_gateways_own_shape(provider: str, runtime: MockRuntime) -> None:
    response = gateway_client(provider, create_app(runtime=runtime)).get(f"/{provider}/no/such/route", headers=AUTH)
    assert response.status_code == 404
    assert GATEWAYS[provider].in_shape(response), response.text
    assert "allow" not in response.headers


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_a_wrong_method_is_answered_as_the_gateways_router_does_and_a_405_carries_allow(
    provider: str, runtime: MockRuntime
) -> None:
    gateway = GATEWAYS[provider]
    client = gateway_client(provider, create_app(runtime=runtime))
    response = client.request(gateway.other_method, f"/{provider}{gateway.submit}", headers=AUTH)
    assert response.status_code == gateway.wrong_method_status
    assert gateway.in_shape(response), response.text
    if response.status_code == 405:
        assert response.headers["allow"] == "POST"
    else:
        assert "allow" not in response.headers


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_a_malformed_body_is_a_400_in_the_gateways_own_shape(provider: str, runtime: MockRuntime) -> None:
    client = gateway_client(provider, create_app(runtime=runtime))
    headers = {**AUTH, "Content-Type": "application/json"}
    response = client.post(f"/{provider}{GATEWAYS[provider].submit}", content=b'{"prompt": ', headers=headers)
    assert response.status_code == 400
    assert GATEWAYS[provider].in_shape(response), response.text


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_a_body_too_large_is_a_413_in_the_gateways_own_shape(provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jimeng2api_body, "BODY_LIMIT", 64)  # jimeng2api's own limit, its server's koa-body setting
    runtime = MockRuntime(Settings(clock="virtual", max_body_bytes=64))
    try:
        client = gateway_client(provider, create_app(runtime=runtime))
        body = {"prompt": "x" * 100}
        response = client.post(f"/{provider}{GATEWAYS[provider].submit}", json=body, headers=AUTH)
    finally:
        runtime.close()
    assert response.status_code == 413
    assert GATEWAYS[provider].in_shape(response), response.text


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_an_unknown_scenario_is_a_400_in_the_gateways_own_shape(provider: str, runtime: MockRuntime) -> None:
    client = gateway_client(provider, create_app(runtime=runtime))
    headers = {**AUTH, "X-Mock-Scenario": "no_such_scenario"}
    response = client.post(f"/{provider}{GATEWAYS[provider].submit}", json={"prompt": "a cat"}, headers=headers)
    assert response.status_code == 400
    assert GATEWAYS[provider].in_shape(response), response.text
    assert "no_such_scenario" in response.text


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_a_status_scripted_by_the_fault_header_is_answered_in_the_gateways_own_shape(
    provider: str, runtime: MockRuntime
) -> None:
    client = gateway_client(provider, FaultMiddleware(create_app(runtime=runtime), runtime.randomness))
    headers = {**AUTH, "X-Mock-Fault": "status=503; retry_after=4"}
    response = client.post(f"/{provider}{GATEWAYS[provider].submit}", json={"prompt": "a cat"}, headers=headers)
    assert response.status_code == 503
    assert GATEWAYS[provider].in_shape(response), response.text
    assert response.headers["retry-after"] == "4"
    assert runtime.journal.entries(provider=provider)[-1].status == 503


# -- the pipeline on its own -------------------------------------------------------------------------------------


class Plain(ErrorShape):
    """A shape that writes what it was given, to see which error each failure became."""

    def render(self, error: GatewayError) -> Response:
        return PlainTextResponse(f"{error.code}: {error.message}", error.status, error.response_headers())

    def too_large(self, exc: BodyTooLarge) -> GatewayError:
        return GatewayError(413, "too_large", str(exc))

    def malformed(self, exc: MalformedBody) -> GatewayError:
        return GatewayError(400, "malformed", str(exc))

    def malformed_header(self, exc: MalformedHeader) -> GatewayError:
        return GatewayError(400, "bad_header", str(exc))

    def route_not_found(self, request: Request) -> GatewayError:
        return GatewayError(404, "no_route", request.url.path)

    def method_not_allowed(self, request: Request) -> GatewayError:
        return GatewayError(405, "no_method", request.method)

    def http_error(self, request: Request, exc: HTTPException) -> GatewayError:
        return GatewayError(exc.status_code, "http", str(exc.detail))

    def scripted(self, exc: ScriptedError) -> GatewayError:
        return GatewayError(exc.status, "scripted", exc.reference, exc.retry_after)

    def unknown_scenario(self, exc: UnknownScenario) -> GatewayError:
        return GatewayError(400, "scenario", exc.message)

    def unexpected(self, exc: Exception) -> GatewayError:
        return GatewayError(500, "bug", repr(exc))


async def read(request: Request) -> Response:
    return PlainTextResponse(str(await read_json(request, limit=16)))


def raising(exc: Exception) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        raise exc

    return endpoint


@pytest.fixture
def plain() -> TestClient:
    routes = [
        Route("/read", read, methods=["POST"]),
        Route("/refuse", raising(GatewayError(429, "slow_down", "later", retry_after=2.0)), methods=["GET"]),
        Route("/half", raising(GatewayError(503, "busy", "later", retry_after=1.5)), methods=["GET"]),
        Route("/scripted", raising(ScriptedError(None, 502, 7, "upstream_down")), methods=["GET"]),
        Route("/scenario", raising(UnknownScenario("unknown mock scenario 'x'")), methods=["GET"]),
        Route("/malformed", raising(MalformedJson("not json")), methods=["GET"]),
        Route("/header", raising(MalformedHeader("X-Mock-Fault: no such fault")), methods=["GET"]),
        Route("/teapot", raising(HTTPException(418, "short and stout")), methods=["GET"]),
        Route("/crash", raising(KeyError("k")), methods=["GET"]),
    ]
    return TestClient(GatewayApp(routes, exception_handlers(Plain())), raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/refuse", 429, "slow_down: later"),
        ("GET", "/scripted", 502, "scripted: upstream_down"),
        ("GET", "/scenario", 400, "scenario: unknown mock scenario 'x'"),
        ("GET", "/malformed", 400, "malformed: not json"),
        ("GET", "/header", 400, "bad_header: X-Mock-Fault: no such fault"),
        ("GET", "/teapot", 418, "http: short and stout"),
        ("GET", "/crash", 500, "bug: KeyError('k')"),
        ("GET", "/nowhere", 404, "no_route: /nowhere"),
        ("DELETE", "/read", 405, "no_method: DELETE"),
    ],
)
def test_each_failure_becomes_the_shapes_error(
    plain: TestClient, method: str, path: str, status: int, text: str
) -> None:
    response = plain.request(method, path)
    assert (response.status_code, response.text) == (status, text)


def test_a_body_too_large_and_a_malformed_one_reach_the_shape(plain: TestClient) -> None:
    too_large = plain.post("/read", content=b"[" + b"1," * 20 + b"1]")
    assert (too_large.status_code, too_large.text) == (413, "too_large: request body too large (limit 16 bytes)")
    malformed = plain.post("/read", content=b"{")
    assert malformed.status_code == 400 and malformed.text.startswith("malformed: request body is not valid JSON")


def test_retry_after_is_written_in_whole_seconds_when_it_is_whole(plain: TestClient) -> None:
    assert plain.get("/refuse").headers["retry-after"] == "2"
    assert plain.get("/half").headers["retry-after"] == "1.5"
    assert plain.get("/scripted").headers["retry-after"] == "7"
    assert "retry-after" not in plain.get("/teapot").headers


def test_a_405_lists_the_allowed_methods_and_a_404_none(plain: TestClient) -> None:
    assert plain.delete("/read").headers["allow"] == "POST"
    assert "allow" not in plain.get("/nowhere").headers
