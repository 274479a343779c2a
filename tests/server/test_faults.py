"""Network and HTTP faults on a real socket: the X-Mock-Fault header and a scenario's scripted faults."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from mockserver.gateways.kit.faults import (
    FAULT_REFUSED,
    HEADER_FAULT,
    TRICKLE_CHUNK,
    TRICKLE_PAUSE,
    FaultHeaderError,
    FaultMiddleware,
    parse_fault_header,
)
from mockserver.scenarios import parse
from mockserver.server.app import create_app
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from tests.server.live import live_server, serving

AUTH = {"Authorization": "Bearer sk-test"}
BODY = {"model": "jimeng-video-3.0", "prompt": "a cat"}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with live_server() as (url, _):
        yield url


def submit(http: httpx.Client, **headers: str) -> httpx.Response:
    return http.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers={**AUTH, **headers})


def test_reset_drops_the_connection(base: str) -> None:
    with httpx.Client(base_url=base) as http, pytest.raises(httpx.TransportError):
        submit(http, **{"X-Mock-Fault": "reset"})


def test_empty_closes_without_a_response(base: str) -> None:
    with httpx.Client(base_url=base) as http, pytest.raises(httpx.RemoteProtocolError):
        http.get("/crazyrouter/jimeng/fetch/1", headers={**AUTH, "X-Mock-Fault": "empty"})


def test_truncated_body(base: str) -> None:
    with httpx.Client(base_url=base) as http, pytest.raises(httpx.RemoteProtocolError):
        submit(http, **{"X-Mock-Fault": "truncate"})


def test_malformed_json_keeps_status_and_length(base: str) -> None:
    with httpx.Client(base_url=base) as http:
        response = submit(http, **{"X-Mock-Fault": "malformed"})
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == len(response.content)
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)


def test_latency_is_real_wall_time(base: str) -> None:
    with httpx.Client(base_url=base) as http:
        started = time.monotonic()
        response = submit(http, **{"X-Mock-Fault": "latency=0.3"})
        assert response.status_code == 200
        assert time.monotonic() - started >= 0.3


def test_trickle_sends_the_whole_body_slowly(base: str) -> None:
    with httpx.Client(base_url=base) as http:
        started = time.monotonic()
        response = http.get("/crazyrouter/jimeng/fetch/1", headers={**AUTH, "X-Mock-Fault": "trickle"})
        assert response.status_code == 400 and response.json()["code"] == "task_not_exist"
        chunks = -(-len(response.content) // TRICKLE_CHUNK)
        assert time.monotonic() - started >= TRICKLE_PAUSE * (chunks - 1), "a pause after every chunk but the last"


def test_hang_until_the_client_gives_up(base: str) -> None:
    with httpx.Client(base_url=base, timeout=0.5) as http, pytest.raises(httpx.ReadTimeout):
        submit(http, **{"X-Mock-Fault": "hang"})
    with httpx.Client(base_url=base) as http:
        assert submit(http).status_code == 200, "the server still serves after a hang"


def test_status_fault_in_the_gateways_own_format(base: str) -> None:
    with httpx.Client(base_url=base) as http:
        limited = submit(http, **{"X-Mock-Fault": "status=429; retry_after=3; error=rate_limited"})
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
        assert limited.json()["error"]["message"].startswith("当前分组上游负载已饱和")
        bare = http.get("/crazyrouter/jimeng/fetch/1", headers={**AUTH, "X-Mock-Fault": "status=503"})
        assert bare.status_code == 503
        assert bare.json() == {"code": "mock_fault", "message": "scripted fault: HTTP 503", "data": None}


def test_a_bad_fault_header_is_a_400_in_the_gateways_format(base: str) -> None:
    with httpx.Client(base_url=base) as http:
        response = submit(http, **{"X-Mock-Fault": "explode"})
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid_request" and body["data"] is None
        assert "cannot read 'explode'" in body["message"]


@pytest.mark.parametrize(
    ("path", "method", "shape"),
    [
        ("/crazyrouter/jimeng/fetch/1", "GET", "code"),
        ("/gptge/task/1", "GET", "request_id"),
        ("/octopusx/v1/videos/1", "GET", "code"),
        ("/jimmyai/api/open-api/v1/videos/1", "GET", "code"),
        ("/jimeng2api/v1/tasks/1", "GET", "error"),
        ("/__admin/clock", "GET", "error"),
        ("/__media/whatever", "GET", "error"),
    ],
)
def test_a_bad_fault_header_answers_in_the_format_of_whoever_serves_the_path(
    base: str, path: str, method: str, shape: str
) -> None:
    with httpx.Client(base_url=base) as http:
        response = http.request(method, path, headers={**AUTH, "X-Mock-Fault": "latency=nan"})
        assert response.status_code == 400, response.text
        assert shape in response.json()
        assert "fault_hang_limit" in response.text


@pytest.mark.parametrize("latency", ["inf", "nan", "1e400", "1e9", "-1", "2-1", "0-inf"])
def test_a_latency_past_the_hang_limit_is_refused_before_any_task(latency: str) -> None:
    with live_server(fault_hang_limit=60) as (url, runtime), httpx.Client(base_url=url, timeout=5) as http:
        started = time.monotonic()
        response = submit(http, **{"X-Mock-Fault": f"latency={latency}"})
        assert response.status_code == 400, response.text
        assert "a latency is 0 to 60 seconds (the fault_hang_limit setting)" in response.text
        assert time.monotonic() - started < 2
        assert len(runtime.store) == 0


def test_an_unknown_error_name_is_refused(base: str) -> None:
    with httpx.Client(base_url=base) as http:
        response = submit(http, **{"X-Mock-Fault": "status=429; error=no_such_error"})
        assert response.status_code == 400, response.text
        assert "error=no_such_error is not in crazyrouter's error catalogue" in response.json()["message"]
        assert submit(http, **{"X-Mock-Fault": "error=rate_limited"}).status_code == 400  # a name needs a status


def test_a_latency_stops_when_the_client_leaves() -> None:
    runtime = MockRuntime(Settings(clock="virtual"))
    inflight: list[int] = []

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        inflight.append(1)
        try:
            await faulty(scope, receive, send)
        finally:
            inflight.pop()

    faulty = FaultMiddleware(create_app(runtime=runtime), runtime.randomness)
    with serving(counted) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as client:
            client.sendall(
                b"GET /crazyrouter/jimeng/fetch/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
                b"X-Mock-Fault: latency=60\r\n\r\n"
            )
            deadline = time.monotonic() + 5
            while not inflight and time.monotonic() < deadline:
                time.sleep(0.02)
            assert inflight, "the request never reached the app"
        deadline = time.monotonic() + 5
        while inflight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not inflight, "the latency kept running after the client left"


def test_a_scripted_latency_is_cut_at_the_hang_limit() -> None:
    scenario = "description: slow\nfaults:\n  - {latency: 1000, when: submit}\n"
    with live_server(fault_hang_limit=0.3) as (url, runtime), httpx.Client(base_url=url, timeout=10) as http:
        runtime.scenarios.register(parse(scenario, "slow"))
        started = time.monotonic()
        assert submit(http, **{"X-Mock-Scenario": "slow"}).status_code == 200
        assert 0.3 <= time.monotonic() - started < 5


def test_fault_probability_follows_the_seed() -> None:
    def pattern() -> list[int]:
        with live_server(seed=9) as (url, _), httpx.Client(base_url=url) as http:
            return [
                http.get(
                    "/crazyrouter/jimeng/fetch/1", headers={**AUTH, "X-Mock-Fault": "status=502; p=0.3"}
                ).status_code
                for _ in range(30)
            ]

    first = pattern()
    assert first == pattern()
    assert set(first) == {400, 502}


def test_a_scenario_scripts_network_faults_on_its_task() -> None:
    scenario = "description: x\npolls:\n  - {nth: 2, fault: reset}\nfaults:\n  - {latency: 0.2, when: submit}\n"
    with live_server() as (url, runtime), httpx.Client(base_url=url) as http:
        runtime.scenarios.register(parse(scenario, "chaos"))
        started = time.monotonic()
        task_id = submit(http, **{"X-Mock-Scenario": "chaos"}).json()["id"]
        assert time.monotonic() - started >= 0.2
        fetch = f"/crazyrouter/jimeng/fetch/{task_id}"
        assert http.get(fetch, headers=AUTH).status_code == 200
        with pytest.raises(httpx.TransportError):
            http.get(fetch, headers=AUTH)
        assert http.get(fetch, headers=AUTH).status_code == 200
        assert runtime.engine.peek(task_id) is not None, "a fault never loses the task"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("reset", "reset"), ("latency=0.5", None), ("latency=0.1-0.4; p=0.5", None), ("status=503", None)],
)
def test_parse_fault_header(header: str, expected: str | None) -> None:
    fault = parse_fault_header(header)
    assert (fault.network.fault if fault.network else None) == expected


@pytest.mark.parametrize(
    "header",
    [
        *("", "boom", "status=200", "latency=x", "p=2", "error="),
        *("latency=inf", "latency=nan", "latency=1e400", "latency=1e9", "latency=-1", "latency=2-1", "latency=0-inf"),
        *("status=\u0665\u0660\u0663", "retry_after=inf", "p=nan", "error=rate_limited"),
    ],
)
def test_parse_fault_header_rejects(header: str) -> None:
    with pytest.raises(FaultHeaderError):
        parse_fault_header(header)


def test_the_last_of_repeated_fault_headers_is_the_one_applied() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(dict(scope["state"]))

    runtime = MockRuntime(Settings(clock="virtual"))
    faulty = FaultMiddleware(app, runtime.randomness)

    async def call(headers: list[tuple[bytes, bytes]]) -> None:
        await faulty({"type": "http", "headers": headers, "state": {}}, app_receive, app_send)

    headers = [(b"x-mock-fault", b"nonsense"), (b"host", b"x"), (b"x-mock-fault", b"status=503")]
    anyio.run(call, headers)
    assert FAULT_REFUSED not in seen[0] and seen[0][HEADER_FAULT].status == 503
    anyio.run(call, headers[::-1])
    runtime.close()
    assert isinstance(seen[1][FAULT_REFUSED], FaultHeaderError) and HEADER_FAULT not in seen[1]


async def app_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def app_send(message: Message) -> None:
    pass
