"""GatewayApp answers as the Starlette app it replaces would: route order, 404, 405, redirects, handlers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from mockserver.gateways.kit.routing import ANSWERED, GatewayApp


class Refused(Exception):
    pass


class RefusedHarder(Refused):
    pass


async def echo(request: Request) -> Response:
    return PlainTextResponse(f"{request.method} {request.url.path} {request.path_params}")


async def list_items(request: Request) -> Response:
    return PlainTextResponse("list")


async def refuse(request: Request) -> Response:
    raise RefusedHarder("no")


async def crash(request: Request) -> Response:
    raise KeyError("boom")


async def teapot(request: Request) -> Response:
    raise HTTPException(418)


ROUTES = [
    Route("/items", list_items, methods=["GET"]),
    Route("/items/special", echo, methods=["POST"]),
    Route("/items/{item_id}", echo, methods=["GET", "DELETE"]),
    Route("/items/{item_id}/count/{n:int}", echo, methods=["GET"]),
    Route("/refuse", refuse, methods=["GET"]),
    Route("/crash", crash, methods=["GET"]),
    Route("/teapot", teapot, methods=["GET"]),
]


def handlers(log: list[str]) -> dict[Any, Any]:
    async def on_refused(request: Request, exc: Exception) -> Response:
        log.append(type(exc).__name__)
        return PlainTextResponse("refused", status_code=422)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        allow = (exc.headers or {}).get("Allow", "")
        return PlainTextResponse(f"http {exc.status_code} allow={allow}", status_code=exc.status_code)

    async def on_teapot(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("short and stout", status_code=418)

    async def on_crash(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"crash {exc!r}", status_code=500)

    return {Refused: on_refused, HTTPException: on_http, 418: on_teapot, Exception: on_crash}


@pytest.fixture(params=["gateway", "starlette"])
def client(request: pytest.FixtureRequest) -> TestClient:
    """The same requests against GatewayApp and against Starlette: the answers must agree."""
    log: list[str] = []
    app: Any = (
        GatewayApp(ROUTES, handlers(log))
        if request.param == "gateway"
        else Starlette(routes=ROUTES, exception_handlers=handlers(log))
    )
    return TestClient(app, raise_server_exceptions=False)


def test_routes_match_in_order_with_converted_parameters(client: TestClient) -> None:
    assert client.get("/items").text == "list"
    assert client.post("/items/special").text == "POST /items/special {}"
    assert client.get("/items/7").text == "GET /items/7 {'item_id': '7'}"
    assert client.get("/items/7/count/12").text == "GET /items/7/count/12 {'item_id': '7', 'n': 12}"


def test_head_is_answered_where_get_is(client: TestClient) -> None:
    answer = client.head("/items")
    assert answer.status_code == 200
    assert answer.headers["content-length"] == "4"


def test_an_unknown_path_goes_to_the_404_handler(client: TestClient) -> None:
    answer = client.get("/nowhere")
    assert (answer.status_code, answer.text) == (404, "http 404 allow=")


def test_a_known_path_with_another_method_goes_to_the_405_handler_with_allow(client: TestClient) -> None:
    answer = client.put("/items/7")
    assert answer.status_code == 405
    assert sorted(answer.text.removeprefix("http 405 allow=").split(", ")) == ["DELETE", "GET", "HEAD"]


def test_the_first_route_of_a_path_decides_405_even_when_a_later_one_matches_the_path(client: TestClient) -> None:
    # /items/special is POST only, but /items/{item_id} takes GET: the full match wins, as in Starlette
    assert client.get("/items/special").text == "GET /items/special {'item_id': 'special'}"


def test_a_trailing_slash_redirects_to_the_route(client: TestClient) -> None:
    answer = client.get("/items/", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "http://testserver/items"
    assert client.get("/items/").text == "list"


def test_exception_handlers_are_found_by_class_and_by_status(client: TestClient) -> None:
    answer = client.get("/refuse")
    assert (answer.status_code, answer.text) == (422, "refused")
    assert client.get("/teapot").text == "short and stout"


def test_a_crash_is_answered_by_the_exception_handler_and_raised_for_the_server() -> None:
    app = GatewayApp(ROUTES, handlers([]))
    answer = TestClient(app, raise_server_exceptions=False).get("/crash")
    assert (answer.status_code, answer.text) == (500, "crash KeyError('boom')")
    with pytest.raises(KeyError):
        TestClient(app).get("/crash")


def test_an_exception_without_a_handler_reaches_the_server() -> None:
    app = GatewayApp(ROUTES, {})
    with pytest.raises(RefusedHarder):
        TestClient(app).get("/refuse")


def test_a_mounted_gateway_matches_below_its_mount() -> None:
    outer = Starlette(routes=[Route("/", echo)])
    outer.mount("/gw", GatewayApp(ROUTES, handlers([])))
    client = TestClient(outer)
    assert client.get("/gw/items/3").text == "GET /gw/items/3 {'item_id': '3'}"
    assert client.get("/gw/").status_code == 404


def test_an_endpoint_must_be_a_function_of_a_request() -> None:
    with pytest.raises(TypeError, match="function of a request"):
        GatewayApp([Route("/x", GatewayApp([], {}))], {})


_SEGMENTS = st.sampled_from(["v1", "tasks", "x", "{a}", "{n:int}"])
"""Literal segments and parameters (numbered per route, as a route's names must differ)."""
_PATH_PARTS = st.sampled_from(["v1", "tasks", "x", "7", "abc", ""])
"""Path segments; an empty one makes `//` or a trailing slash, but never first (a client refuses `//x`)."""


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.lists(_SEGMENTS, min_size=1, max_size=3), st.sampled_from(["GET", "POST"])), max_size=6),
    st.lists(
        st.tuples(
            st.lists(_PATH_PARTS, min_size=1, max_size=4).filter(lambda parts: parts[0] != ""),
            st.sampled_from(["GET", "POST", "PUT"]),
        ),
        max_size=8,
    ),
)
def test_any_route_table_matches_as_starlettes_does(
    table: list[tuple[list[str], str]], requests: list[tuple[list[str], str]]
) -> None:
    routes = [Route(_route_path(parts), _named(n), methods=[method]) for n, (parts, method) in enumerate(table)]
    gateway, starlette = GatewayApp(routes, handlers([])), Starlette(routes=routes, exception_handlers=handlers([]))
    ours, theirs = TestClient(gateway), TestClient(starlette)
    for parts, method in requests:
        path = "/" + "/".join(parts)
        mine, expected = (
            ours.request(method, path, follow_redirects=False),
            theirs.request(method, path, follow_redirects=False),
        )
        assert (mine.status_code, _allow_sorted(mine.text)) == (expected.status_code, _allow_sorted(expected.text))


def _allow_sorted(text: str) -> str:
    """Starlette lists a 405's allowed methods in set order."""
    prefix = "http 405 allow="
    return prefix + ", ".join(sorted(text.removeprefix(prefix).split(", "))) if text.startswith(prefix) else text


def _route_path(parts: list[str]) -> str:
    return "/" + "/".join(part.replace("{a", f"{{a{i}").replace("{n", f"{{n{i}") for i, part in enumerate(parts))


def _named(number: int) -> Any:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"route {number} {request.path_params}")

    return endpoint


def test_a_route_that_refuses_the_method_leaves_no_parameters_for_the_route_that_takes_it() -> None:
    routes = [Route("/{a}/x", _named(0), methods=["GET"]), Route("/v1/x", _named(1), methods=["POST"])]
    answer = TestClient(GatewayApp(routes, handlers([]))).post("/v1/x")
    assert (answer.status_code, answer.text) == (200, "route 1 {}")


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/items/7", 200, "GET /items/7 {'item_id': '7'}"),  # an endpoint's answer
        ("/crash", 500, "crash KeyError('boom')"),  # the crash handler's answer
        ("/teapot", 418, "short and stout"),  # the handler for its status
        ("/items/7/", 307, ""),  # a trailing-slash redirect
    ],
)
def test_every_answer_is_handed_to_the_answered_hook_before_it_is_sent(path: str, status: int, text: str) -> None:
    seen: list[tuple[int, bytes]] = []
    client = TestClient(_with_hook(GatewayApp(ROUTES, handlers([])), seen), raise_server_exceptions=False)
    sent = client.get(path, follow_redirects=False)
    assert (sent.status_code, sent.text) == (status, text)
    assert seen == [(status, sent.content)]


def test_a_crash_with_no_handler_hands_the_servers_500_to_the_hook_and_raises() -> None:
    seen: list[tuple[int, bytes]] = []
    client = TestClient(_with_hook(GatewayApp(ROUTES, {}), seen))
    with pytest.raises(KeyError):
        client.get("/crash")
    assert seen == [(500, b"Internal Server Error")]


def _with_hook(app: GatewayApp, seen: list[tuple[int, bytes]]) -> Any:
    def hook(scope: Scope, response: Response) -> None:
        seen.append((response.status_code, bytes(response.body)))

    async def hooked(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, ANSWERED: hook}, receive, send)

    return hooked
