"""Every way the mock answers is journaled exactly once: gateway answers (recorded from the whole response, with no
`send` wrapper), and everything else (media, the index, unknown routes, a gateway at the root) through the journal
middleware."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.testclient import TestClient
from starlette.types import Message

from mockserver.gateways.kit.faults import FaultMiddleware
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.server.app import GatewayDispatch, create_app
from mockserver.server.journal import BODY_LIMIT, Journal, JournalEntry
from mockserver.server.recorders import AnswerRecorder
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from tests.support import AUTH

BODY = {"model": "jimeng-video-3.0", "prompt": "a cat"}


def served(**settings: Any) -> tuple[TestClient, Journal]:
    runtime = MockRuntime(Settings(clock="virtual", **settings))
    app = create_app(runtime=runtime)
    return TestClient(FaultMiddleware(app, runtime.randomness), raise_server_exceptions=False), runtime.journal


def only_entry(journal: Journal) -> JournalEntry:
    [entry] = journal.entries()
    journal.clear()
    return entry


def test_a_gateway_answer_is_journaled_once_with_both_bodies() -> None:
    client, journal = served()
    answer = client.post("/crazyrouter/jimeng/submit/videos?x=1", json=BODY, headers=AUTH)
    entry = only_entry(journal)
    assert (entry.method, entry.path, entry.query, entry.status) == (
        "POST",
        "/crazyrouter/jimeng/submit/videos",
        "x=1",
        200,
    )
    assert entry.provider == "crazyrouter" and entry.task_id == answer.json()["task_id"]
    assert json.loads(entry.request_body) == BODY
    assert entry.response_body == answer.text and entry.complete
    assert entry.response_headers["x-oneapi-request-id"] == answer.headers["x-oneapi-request-id"]
    assert entry.request_headers["authorization"] == AUTH["Authorization"]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/crazyrouter/jimeng/fetch/nope", AUTH, 400),  # a provider error, rendered by its handler
        ("GET", "/crazyrouter/jimeng/fetch/1", {**AUTH, "X-Mock-Fault": "status=503"}, 503),  # a header fault
        ("DELETE", "/crazyrouter/jimeng/submit/videos", AUTH, 404),  # a refused method: new-api answers 404
        ("GET", "/crazyrouter/no/such/route", AUTH, 404),  # nothing under the gateway's mount
        ("GET", "/jimeng/fetch/1", AUTH, 404),  # no gateway at all
        ("GET", "/", {}, 200),  # the index
    ],
)
def test_every_kind_of_answer_is_journaled_once_as_sent(
    method: str, path: str, headers: dict[str, str], status: int
) -> None:
    client, journal = served()
    answer = client.request(method, path, headers=headers)
    entry = only_entry(journal)
    assert (answer.status_code, entry.status, entry.method, entry.path) == (status, status, method, path)
    assert entry.response_body == answer.text and entry.complete


def test_a_trailing_slash_redirect_from_a_gateway_is_journaled() -> None:
    client, journal = served()
    answer = client.get("/crazyrouter/jimeng/fetch/1/", headers=AUTH, follow_redirects=False)
    entry = only_entry(journal)
    assert (answer.status_code, entry.status) == (307, 307)
    assert entry.response_headers["location"] == answer.headers["location"]


def test_a_gateway_at_the_root_is_journaled_once() -> None:
    client, journal = served(root_provider="crazyrouter")
    client.post("/jimeng/submit/videos", json=BODY, headers=AUTH)
    entry = only_entry(journal)
    assert (entry.path, entry.status, entry.provider) == ("/jimeng/submit/videos", 200, "crazyrouter")
    assert entry.response_body.startswith('{"id":')


def test_a_gateway_that_crashes_is_journaled_with_the_answer_its_crash_handler_gave() -> None:
    client, journal = served()
    gateway: GatewayApp = _gateway_app(client, "crazyrouter")

    async def boom(request: Request) -> Response:
        raise KeyError("boom")

    for compiled in gateway._compiled:
        object.__setattr__(compiled, "endpoint", boom)
    answer = client.get("/crazyrouter/jimeng/fetch/1", headers=AUTH)
    entry = only_entry(journal)
    assert answer.status_code == entry.status == 500
    assert entry.response_body == answer.text


def test_a_gateway_answer_is_journaled_before_its_body_is_sent() -> None:
    runtime = MockRuntime(Settings(clock="virtual"))
    app = create_app(runtime=runtime)
    journaled_when_body_sent: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            journaled_when_body_sent.append(len(runtime.journal))

    headers = [(b"authorization", AUTH["Authorization"].encode())]
    scope = {"type": "http", "method": "GET", "path": "/crazyrouter/jimeng/fetch/1", "query_string": b"",
             "headers": headers, "root_path": ""}  # fmt: skip
    anyio.run(app, scope, receive, send)
    assert journaled_when_body_sent == [1]


def test_a_media_download_is_journaled_without_its_bytes() -> None:
    client, journal = served()
    task_id = client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers=AUTH).json()["task_id"]
    client.post("/__admin/clock/advance", json={"seconds": 3600})
    url = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]["url"]
    journal.clear()
    video = client.get(url)
    entry = only_entry(journal)
    assert (video.status_code, entry.status, entry.response_body, entry.complete) == (200, 200, "", False)


def test_an_answered_response_keeps_text_up_to_the_limit_and_marks_what_it_could_not_keep() -> None:
    journal = Journal()
    answered = AnswerRecorder(journal, now=lambda: 0.0)
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/p", "query_string": b"", "headers": []}
    answers: list[tuple[bytes, Response]] = [
        (b"", Response(b"x" * (BODY_LIMIT + 10), media_type="text/plain")),
        (b"", Response(b"\x00\x01", media_type="image/png")),
        (b"", StreamingResponse(iter([b"a"]), media_type="text/plain")),
        (b"y" * (BODY_LIMIT + 1), Response("short", media_type="text/plain")),
        (b"sent", Response("short", media_type="text/plain")),
    ]
    for request_body, response in answers:
        answered({**scope, "state": {"request_body": request_body}}, response)
    long, binary, streamed, long_request, short = journal.entries()
    assert (len(long.response_body), long.complete) == (BODY_LIMIT, False)
    assert (binary.response_body, binary.complete) == ("", False)
    assert (streamed.response_body, streamed.complete) == ("", False)
    assert (len(long_request.request_body), long_request.response_body, long_request.complete) == (
        BODY_LIMIT, "short", False,
    )  # fmt: skip
    assert (short.request_body, short.response_body, short.complete) == ("sent", "short", True)


class _Scope(dict[str, Any]):
    """A scope that a weak reference can follow."""


class _Pairs:
    """Headers as an ASGI server may hand them: a sequence type of its own, which marshal does not write."""

    def __init__(self, *pairs: tuple[bytes, bytes]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(self.pairs)


def test_an_answered_entry_keeps_neither_the_scope_nor_the_response_alive() -> None:
    journal = Journal()
    scope = _Scope(
        type="http", method="POST", path="/p", query_string=b"a=1", headers=[(b"x-one", b"1")],
        state={"request_body": b'{"prompt": "a cat"}', "provider": "crazyrouter", "task_id": "42"},
    )  # fmt: skip
    response = Response('{"ok": true}', media_type="application/json")
    AnswerRecorder(journal, now=lambda: 7.0)(scope, response)
    gone = weakref.ref(scope), weakref.ref(response)
    del scope, response
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
    [entry] = journal.entries()
    assert (entry.time, entry.provider, entry.method, entry.path, entry.query, entry.task_id) == (
        7.0, "crazyrouter", "POST", "/p", "a=1", "42",
    )  # fmt: skip
    assert (entry.status, entry.request_body, entry.response_body, entry.complete) == (
        200, '{"prompt": "a cat"}', '{"ok": true}', True,
    )  # fmt: skip
    assert entry.request_headers == {"x-one": "1"}
    assert entry.response_headers == {"content-length": "12", "content-type": "application/json"}


def test_headers_in_a_sequence_type_of_the_servers_own_are_journaled() -> None:
    journal = Journal()
    scope = {"type": "http", "method": "GET", "path": "/p", "headers": _Pairs((b"host", b"mock"), (b"x-two", b"2"))}
    AnswerRecorder(journal, now=lambda: 0.0)(scope, Response("ok", media_type="text/plain"))
    [entry] = journal.entries()
    assert (entry.request_headers, entry.response_body, entry.complete) == ({"host": "mock", "x-two": "2"}, "ok", True)


def test_a_body_too_large_for_the_gateway_is_journaled_as_it_was_read() -> None:
    client, journal = served(max_body_bytes=1000)
    sent = b"[" + b"1," * 800 + b"1]"
    refused_unread = client.post("/crazyrouter/jimeng/submit/videos", content=sent, headers=AUTH)
    entry = only_entry(journal)
    assert refused_unread.status_code == entry.status == 413
    assert (entry.request_body, entry.response_body, entry.complete) == ("", refused_unread.text, False)

    def undeclared() -> Iterator[bytes]:
        yield sent[:600]
        yield sent[600:]

    refused_read = client.post("/crazyrouter/jimeng/submit/videos", content=undeclared(), headers=AUTH)
    entry = only_entry(journal)
    assert refused_read.status_code == entry.status == 413
    assert (entry.request_body, entry.response_body, entry.complete) == (sent.decode(), refused_read.text, True)


def _gateway_app(client: TestClient, provider: str) -> GatewayApp:
    node: Any = client.app
    while not isinstance(node, GatewayDispatch):
        node = node.front if hasattr(node, "front") else node.app
    gateway = node.gateways[provider][1].app
    assert isinstance(gateway, GatewayApp)
    return gateway
