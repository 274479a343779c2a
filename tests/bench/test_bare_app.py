"""The bare app's signed routes: the yardstick of a signed gateway checks a Volcengine V4 signature as a hand-rolled
fake would, accepting what the official SDK signs and refusing what it did not."""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from volcengine.auth.SignerV4 import SignerV4
from volcengine.base.Request import Request as SdkRequest
from volcengine.Credentials import Credentials

from bench import bare_app
from bench.endpoints import Endpoint
from bench.gateways import BARE_PAIR, signed_headers
from bench.instructions import instructions_per_request
from bench.load import HttpRequest
from bench.report import render

ACTION = {"Action": "CVSync2AsyncSubmitTask", "Version": "2022-08-31"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(bare_app.app) as test_client:
        yield test_client


def sdk_signed(
    path: str, body: dict[str, object], secret: str = bare_app.SECRET_KEY, query: dict[str, str] | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and body as the official Python SDK signs them (Host, Content-Type and the X- headers)."""
    request = SdkRequest()
    request.set_method("POST")
    request.set_path(path)
    request.set_query(query or {})
    request.set_headers({"Host": "testserver", "Content-Type": "application/json"})
    request.body = json.dumps(body)
    SignerV4.sign(request, Credentials(bare_app.ACCESS_KEY, secret, "cv", "cn-north-1"))
    return dict(request.headers), request.body.encode()


def post(client: TestClient, path: str, signed: tuple[dict[str, str], bytes], query: str = "") -> tuple[int, object]:
    headers, body = signed
    answer = client.post(path + (f"?{query}" if query else ""), content=body, headers=headers)
    return answer.status_code, answer.json()


def test_an_sdk_signed_submit_and_poll_are_served(client: TestClient) -> None:
    status, submitted = post(client, "/signed/submit", sdk_signed("/signed/submit", {"model": "m", "prompt": "a cat"}))
    assert status == 200, submitted
    assert isinstance(submitted, dict)
    task_id = submitted["task_id"]
    status, polled = post(client, "/signed/poll", sdk_signed("/signed/poll", {"task_id": task_id}))
    assert status == 200 and isinstance(polled, dict), polled
    assert polled["data"]["task_id"] == task_id and polled["data"]["model"] == "m"


def test_the_query_is_part_of_what_is_signed(client: TestClient) -> None:
    signed = sdk_signed("/signed/submit", {"model": "m"}, query=ACTION)
    assert post(client, "/signed/submit", signed, "Action=CVSync2AsyncSubmitTask&Version=2022-08-31")[0] == 200
    assert post(client, "/signed/submit", signed, "Action=CVSync2AsyncSubmitTask&Version=2024-06-06")[0] == 401
    assert post(client, "/signed/submit", signed)[0] == 401


def other_last_digit(authorization: str) -> str:
    """The Authorization header with its signature's last hex digit changed (whatever it was)."""
    return authorization[:-1] + ("1" if authorization.endswith("0") else "0")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda headers, body: (headers, body.replace(b"a cat", b"a dog")), id="a changed body"),
        pytest.param(lambda headers, body: ({**headers, "Host": "elsewhere"}, body), id="a changed signed header"),
        pytest.param(
            lambda headers, body: ({**headers, "Authorization": other_last_digit(headers["Authorization"])}, body),
            id="a changed signature",
        ),
        pytest.param(lambda headers, body: ({**headers, "Authorization": "Bearer sk-bench"}, body), id="a bearer key"),
        pytest.param(
            lambda headers, body: ({k: v for k, v in headers.items() if k != "Authorization"}, body),
            id="no Authorization",
        ),
        pytest.param(
            lambda headers, body: (
                {**headers, "Authorization": headers["Authorization"].replace(bare_app.ACCESS_KEY, "AKLTother")},
                body,
            ),
            id="another access key",
        ),
        pytest.param(lambda headers, body: ({**headers, "X-Date": "20261306T000000Z"}, body), id="no such date"),
    ],
)
def test_a_request_not_signed_as_sent_is_refused(
    client: TestClient, tamper: object, request: pytest.FixtureRequest
) -> None:
    headers, body = sdk_signed("/signed/submit", {"model": "m", "prompt": "a cat"})
    assert callable(tamper)
    status, answer = post(client, "/signed/submit", tamper(headers, body))
    assert status == 401, request.node.name
    assert answer == {
        "ResponseMetadata": {
            "Error": {
                "Code": "SignatureDoesNotMatch",
                "Message": "The request signature we calculated does not match",
            }
        }
    }


def test_a_wrong_secret_or_an_old_date_is_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert post(client, "/signed/poll", sdk_signed("/signed/poll", {"task_id": "1"}, secret="not-it"))[0] == 401
    too_old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - bare_app.MAX_SKEW - 60))
    monkeypatch.setattr(SignerV4, "get_current_format_date", staticmethod(lambda: too_old))
    assert post(client, "/signed/poll", sdk_signed("/signed/poll", {"task_id": "1"}))[0] == 401


def test_the_bench_signs_the_bare_app_s_loads_as_the_sdk_would(client: TestClient) -> None:
    """The bench's own signer (the mock's V4 code) with the bare app's pair: its loads are answered, not refused."""
    body = json.dumps({"model": "m"}).encode()
    headers = signed_headers("POST", "/signed/submit", body, time.time(), BARE_PAIR)
    assert client.post("/signed/submit", content=body, headers=headers).status_code == 200
    assert client.post("/signed/submit", content=body + b" ", headers=headers).status_code == 401


def test_the_bare_app_shares_no_code_with_the_mock() -> None:
    tree = ast.parse(Path(bare_app.__file__).read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules and not any(name.split(".")[0] in ("mockserver", "bench") for name in modules), modules


class FakeCounter:
    """A counted server that answers each load with a fixed count per request."""

    def __init__(self, per_load: dict[str, float], loads: dict[str, list[HttpRequest]]) -> None:
        self.by_first_request = {id(loads[key][0]): count for key, count in per_load.items()}
        self.counted: list[str] = []

    def count(self, requests: list[HttpRequest], times: int) -> float:
        self.counted.append(requests[0].path)
        return self.by_first_request[id(requests[0])]


def test_a_signed_row_counts_both_bare_loads_and_the_report_prints_both() -> None:
    loads = {key: [HttpRequest("POST", f"/{key}")] for key in ("submit", "signed_submit", "poll_posted", "signed_poll")}
    bare = FakeCounter(
        {"submit": 277_000, "signed_submit": 340_000, "poll_posted": 292_000, "signed_poll": 355_000}, loads
    )
    mock_requests = {name: [HttpRequest("POST", f"/mock/{name}")] for name in ("submit", "poll", "crazy")}
    mock = FakeCounter({"submit": 680_000, "poll": 500_000, "crazy": 250_000}, mock_requests)
    endpoints = [
        Endpoint("volcengine submit", "submit", mock_requests["submit"], "signed_submit", "submit"),
        Endpoint("volcengine poll (running)", "poll", mock_requests["poll"], "signed_poll", "poll_posted"),
        Endpoint("crazyrouter submit", "submit", mock_requests["crazy"], "submit"),
    ]
    rows = instructions_per_request(mock, bare, endpoints, loads, 10)  # type: ignore[arg-type]
    assert sorted(bare.counted) == ["/poll_posted", "/signed_poll", "/signed_submit", "/submit"]
    submit, poll, plain = rows
    assert (submit["bare"], submit["bare_unsigned"], submit["ratio"], submit["ratio_unsigned"]) == (
        340_000,
        277_000,
        0.5,
        0.407,
    )
    assert (poll["bare"], poll["bare_unsigned"], poll["ratio"], poll["ratio_unsigned"]) == (
        355_000,
        292_000,
        0.71,
        0.584,
    )
    assert "bare_unsigned" not in plain and plain["ratio"] == round(277_000 / 250_000, 3)

    setup = {"load_generator": "wrk", "connections": 1, "seconds_per_endpoint": 1, "rounds": "",
             "server": {"loop": "uvloop", "http": "httptools"}, "pinning": "none"}  # fmt: skip
    result = {"setup": setup, "endpoints": [], "instructions": rows, "cold_start": {"mock": {"median_ms": 1},
              "bare": {"median_ms": 1}}, "memory": {}, "poll_cost": {}, "mp4": {}, "targets": []}  # fmt: skip
    table = render(result)
    assert "volcengine submit" in table and "277,000   0.41" in table and "292,000   0.58" in table
    assert "the bare app's signature check: 340,000 signed against 277,000 unsigned, 63,000 instructions" in table
    assert "the bare app's signature check: 355,000 signed against 292,000 unsigned, 63,000 instructions" in table
