"""A journal entry is one `Exchange`: packed while kept, read back whole, and the same whichever recorder saw it."""

from __future__ import annotations

import marshal
import os
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from mockserver.server.exchange import BODY_LIMIT, KEPT, Exchange, kept
from mockserver.server.journal import Journal
from mockserver.server.recorders import STARTED, AnswerRecorder, JournalMiddleware

header_pairs = st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=40)), max_size=6)
exchanges = st.builds(
    Exchange,
    time=st.floats(allow_nan=False),
    provider=st.none() | st.text(max_size=12),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    path=st.text(max_size=40),
    query=st.binary(max_size=20),
    request_headers=header_pairs,
    request_body=st.none() | st.binary(max_size=200),
    status=st.integers(100, 599),
    response_headers=header_pairs,
    response_body=st.none() | st.binary(max_size=200),
    task_id=st.none() | st.text(max_size=12),
    worker=st.integers(0, 2**31),
    latency=st.none() | st.floats(min_value=0, allow_nan=False, allow_infinity=False),  # NaN never equals itself
)


@given(exchanges)
def test_an_exchange_reads_back_as_it_was_packed(exchange: Exchange) -> None:
    assert Exchange.unpack(exchange.pack()) == exchange


def test_an_entry_is_complete_only_when_both_bodies_are_whole_and_the_answer_is_text() -> None:
    text = [(b"content-type", b"application/json")]
    whole = Exchange(0.0, "p", "POST", "/p", b"", [], b"{}", 200, text, b'{"ok":true}')
    assert whole.entry(1).complete
    assert whole.entry(1).response_body == '{"ok":true}'
    cut = whole._replace(response_body=kept(b"x" * (BODY_LIMIT + 5)))
    assert (len(cut.entry(1).response_body), cut.entry(1).complete) == (BODY_LIMIT, False)
    exactly = whole._replace(request_body=kept(b"y" * BODY_LIMIT))
    assert (len(exactly.entry(1).request_body), exactly.entry(1).complete) == (BODY_LIMIT, True)
    assert not whole._replace(request_body=None).entry(1).complete  # refused unread
    assert not whole._replace(response_body=None).entry(1).complete  # streamed
    binary = whole._replace(response_headers=[(b"content-type", b"image/png")])
    assert (binary.entry(1).response_body, binary.entry(1).complete) == ("", False)


def test_a_body_is_kept_one_byte_past_the_limit() -> None:
    assert kept(None) is None
    assert len(kept(b"z" * (BODY_LIMIT * 2)) or b"") == KEPT == BODY_LIMIT + 1


async def _receive_body(body: bytes) -> Message:
    return {"type": "http.request", "body": body, "more_body": False}


def _through_the_middleware(journal: Journal, scope: Scope, request_body: bytes, response: Response) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await response(scope, receive, send)

    async def receive() -> Message:
        return await _receive_body(request_body)

    async def send(message: Message) -> None:
        pass

    anyio.run(JournalMiddleware(app, journal, now=lambda: 3.0), scope, receive, send)


@pytest.mark.parametrize(
    ("request_body", "response"),
    [
        (b'{"prompt": "a cat"}', Response('{"id": "1"}', media_type="application/json")),
        (b"", Response("x" * (BODY_LIMIT + 3), media_type="text/plain")),
        (b"y" * (BODY_LIMIT + 3), Response("short", status_code=413, media_type="text/plain")),
        (b"", Response(b"\x89PNG", media_type="image/png")),
    ],
)
def test_both_recorders_journal_the_same_exchange_alike(request_body: bytes, response: Response) -> None:
    def scope() -> dict[str, Any]:
        state = {"provider": "p", "task_id": "7", "request_body": request_body}
        return {"type": "http", "method": "POST", "path": "/p/x", "query_string": b"a=1", "headers": [], "state": state}

    by_middleware, by_answer = Journal(), Journal()
    _through_the_middleware(by_middleware, scope(), request_body, response)
    AnswerRecorder(by_answer, now=lambda: 3.0)(scope(), response)
    [seen_going_by] = by_middleware.entries()
    [seen_answered] = by_answer.entries()
    assert seen_going_by == seen_answered


def test_a_recorded_exchange_holds_each_part_of_the_request_in_its_own_field() -> None:
    journal = Journal()
    state = {"provider": "crazyrouter", "task_id": "task-9", "request_body": b'{"prompt": "a cat"}'}
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/crazyrouter/v1/video/generations",
        "query_string": b"debug=1",
        "headers": [(b"authorization", b"Bearer sk-1")],
        "state": state,
    }
    response = Response('{"id": "task-9"}', status_code=201, media_type="application/json")
    AnswerRecorder(journal, now=lambda: 42.5)(scope, response)
    [entry] = journal.entries()
    assert (entry.time, entry.provider, entry.method, entry.path, entry.query) == (
        42.5,
        "crazyrouter",
        "POST",
        "/crazyrouter/v1/video/generations",
        "debug=1",
    )
    assert (entry.status, entry.task_id, entry.worker) == (201, "task-9", os.getpid())
    assert entry.request_headers == {"authorization": "Bearer sk-1"}
    assert (entry.request_body, entry.response_body) == ('{"prompt": "a cat"}', '{"id": "task-9"}')
    assert entry.response_headers["content-type"] == "application/json"


def test_the_latency_is_the_time_from_the_requests_arrival_to_its_record() -> None:
    journal = Journal()
    waited = iter([0.0125])
    scope = {"type": "http", "method": "GET", "path": "/a", "state": {}, STARTED: lambda: next(waited)}
    AnswerRecorder(journal, now=lambda: 1.0)(scope, Response("{}", media_type="application/json"))
    del scope[STARTED]  # a request the mock did not time (a recorder used on its own)
    AnswerRecorder(journal, now=lambda: 2.0)(scope, Response("{}", media_type="application/json"))
    timed, untimed = journal.entries()
    assert (timed.latency_ms, untimed.latency_ms) == (12.5, None)


def test_an_exchange_packed_before_latency_existed_reads_back_without_one() -> None:
    exchange = Exchange(1.0, "crazyrouter", "GET", "/a", b"", [], b"", 200, [], b"{}", "t", 7, latency=0.002)
    assert Exchange.unpack(exchange.pack()) == exchange
    older = marshal.dumps((1.0, "crazyrouter", "GET", "/a", b"", [], b"", 200, [], b"{}", "t", 7), 2)
    assert Exchange.unpack(older).latency is None
    assert Exchange.unpack(older).entry(1).latency_ms is None
