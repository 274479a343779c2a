"""A browser calling each gateway directly, against a real server: the preflight, then the request, with the
CORS headers of the gateway's lineage (koa2-cors for jimeng2api, new-api's gin-contrib/cors for crazyrouter,
octopusx and gptge; jimmyai documents none) and errors still in the gateway's own body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.gateways.kit.cors import GIN_ALL_ORIGINS
from tests.server.live import live_server

ORIGIN = "https://studio.example"
BEARER = {"Authorization": "Bearer jm_key"}
SUBMITS = {
    "jimeng2api": ("/v1/videos/generations", {"prompt": "a cat"}),
    "crazyrouter": ("/jimeng/submit/videos", {"model": "jimeng-video-3.0", "prompt": "a cat"}),
    "octopusx": ("/v1/video/create", {"model": "jimeng-video-3.0", "prompt": "a cat", "images": []}),
    "gptge": ("/task/jimeng/text2video", {"prompt": "a cat"}),
    "jimmyai": ("/api/open-api/v1/seedance/videos", {"model": "seedance2.0-std", "prompt": "a cat"}),
}
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}
NEW_API_PREFLIGHT = {
    "access-control-allow-origin": "*",
    "access-control-allow-credentials": "true",
    "access-control-allow-methods": "GET,POST,PUT,DELETE,OPTIONS",
    "access-control-allow-headers": "*",
    "access-control-max-age": "43200",
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with live_server() as (url, _):
        yield url


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-") or k == "vary"}


def browser_call(base: str, provider: str, headers: dict[str, str]) -> tuple[httpx.Response, httpx.Response]:
    """What fetch() does for a JSON POST with a bearer key: the preflight, then the request itself."""
    path, body = SUBMITS[provider]
    url = f"{base}/{provider}{path}"
    preflight = httpx.options(url, headers=PREFLIGHT)
    request_headers: dict[str, Any] = {"Origin": ORIGIN, **headers}
    return preflight, httpx.post(url, json=body, headers=request_headers)


def test_jimeng2api_answers_every_response_for_any_origin(base: str) -> None:
    preflight, answer = browser_call(base, "jimeng2api", {"Authorization": "Bearer session-abc"})
    assert (preflight.status_code, preflight.content) == (204, b"")
    assert cors_headers(preflight) == {
        "vary": "Origin",
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET,PUT,POST,PATCH,DELETE,HEAD,OPTIONS",
        "access-control-allow-headers": "authorization,content-type",
    }
    assert answer.status_code == 200
    assert cors_headers(answer) == {"vary": "Origin", "access-control-allow-origin": "*"}
    no_origin = httpx.get(f"{base}/jimeng2api/v1/models")  # koa2-cors answers without an Origin too
    assert cors_headers(no_origin) == {"vary": "Origin", "access-control-allow-origin": "*"}


def test_jimeng2api_errors_keep_their_body_and_gain_the_headers(base: str) -> None:
    _, refused = browser_call(base, "jimeng2api", {"Authorization": "Basic x"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    assert cors_headers(refused) == {"vary": "Origin", "access-control-allow-origin": "*"}
    plain_options = httpx.options(f"{base}/jimeng2api/v1/images/generations", headers={"Origin": ORIGIN})
    assert plain_options.status_code == 404  # no Access-Control-Request-Method: not a preflight, no such route
    assert plain_options.json()["error"]["code"] == -1002
    assert cors_headers(plain_options)["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("provider", ["crazyrouter", "octopusx", "gptge"])
def test_new_api_gateways_answer_a_foreign_origin(base: str, provider: str) -> None:
    preflight, answer = browser_call(base, provider, {"Authorization": "Bearer sk-test"})
    assert (preflight.status_code, preflight.content) == (204, b"")
    assert cors_headers(preflight) == NEW_API_PREFLIGHT
    assert answer.status_code == 200, answer.text
    assert cors_headers(answer) == {"access-control-allow-origin": "*", "access-control-allow-credentials": "true"}
    _, refused = browser_call(base, provider, {})
    assert refused.status_code in (400, 401) and refused.headers["content-type"].startswith("application/json")
    assert cors_headers(refused)["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("provider", ["crazyrouter", "octopusx", "gptge"])
def test_new_api_gateways_ignore_requests_without_a_foreign_origin(base: str, provider: str) -> None:
    path, body = SUBMITS[provider]
    url = f"{base}/{provider}{path}"
    assert cors_headers(httpx.post(url, json=body, headers={"Authorization": "Bearer sk-test"})) == {}
    same_origin = {"Authorization": "Bearer sk-test", "Origin": base}
    assert cors_headers(httpx.post(url, json=body, headers=same_origin)) == {}


def test_jimmyai_documents_no_cors(base: str) -> None:
    preflight, answer = browser_call(base, "jimmyai", {"Authorization": "Bearer sk-test"})
    assert preflight.status_code != 204
    assert cors_headers(preflight) == cors_headers(answer) == {}


def test_a_scripted_status_fault_is_still_answered_for_the_origin(base: str) -> None:
    headers = {"Authorization": "Bearer session-abc", "X-Mock-Fault": "status=429; retry_after=3; error=rate_limited"}
    _, limited = browser_call(base, "jimeng2api", headers)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert cors_headers(limited) == {"vary": "Origin", "access-control-allow-origin": "*"}


def test_the_preflight_of_the_issue_at_the_root_mount() -> None:
    """`serve --provider jimeng2api --api-key KEY`: the gateway at the root, as a browser app would call it."""
    with live_server(root_provider="jimeng2api", api_keys=("jm_key",)) as (url, _):
        preflight = httpx.options(f"{url}/v1/images/generations", headers=PREFLIGHT)
        answer = httpx.post(
            f"{url}/v1/images/generations", json={"prompt": "a cat"}, headers={"Origin": ORIGIN, **BEARER}
        )
    assert preflight.status_code == 204 and cors_headers(preflight)["access-control-allow-origin"] == "*"
    assert answer.status_code == 200, answer.text
    assert cors_headers(answer) == {"vary": "Origin", "access-control-allow-origin": "*"}


@pytest.mark.parametrize(
    ("headers", "applies"),
    [
        ([(b"origin", ORIGIN.encode())], True),
        ([(b"host", b"studio.example"), (b"origin", ORIGIN.encode())], False),  # same origin
        ([(b"origin", b"http://a.test"), (b"host", b"a.test"), (b"origin", ORIGIN.encode())], True),
        ([(b"origin", ORIGIN.encode()), (b"host", b"a.test"), (b"origin", b"http://a.test")], False),
        ([(b"origin", ORIGIN.encode()), (b"origin", b"")], False),
        ([(b"host", b"a.test")], False),
    ],
)
def test_the_last_of_a_repeated_origin_decides_whether_gin_answers_cors(
    headers: list[tuple[bytes, bytes]], applies: bool
) -> None:
    assert GIN_ALL_ORIGINS.applies({"type": "http", "headers": headers}) is applies
