"""`Journal.assert_called`: counts requests by gateway, path pattern and method, and explains a miss."""

from __future__ import annotations

import anyio
import pytest
from starlette.types import Message, Receive, Scope, Send

from mockserver.server.journal import Exchange, Journal
from mockserver.server.recorders import JournalMiddleware


def journal_with(*requests: tuple[str, str, int]) -> Journal:
    journal = Journal()
    for method, path, status in requests:
        provider = path.split("/")[1] if not path.startswith("/__") else None
        journal.add(Exchange(0.0, provider, method, path, b"", [], b"", status, [], b""))
    return journal


SESSION = journal_with(
    ("POST", "/crazyrouter/jimeng/submit/videos", 200),
    ("GET", "/crazyrouter/jimeng/fetch/111", 200),
    ("GET", "/crazyrouter/jimeng/fetch/111", 200),
    ("GET", "/crazyrouter/jimeng/fetch/222", 400),
    ("GET", "/__media/crazyrouter/task-artifacts/2026/01/01/generate/111.mp4", 200),
)


def test_paths_are_relative_to_the_gateway_or_absolute() -> None:
    SESSION.assert_called("crazyrouter", "/jimeng/submit/videos", times=1)
    SESSION.assert_called("crazyrouter", "/crazyrouter/jimeng/submit/videos", times=1)
    SESSION.assert_called("crazyrouter", "/jimeng/fetch/111", times=2)


def test_a_placeholder_matches_one_path_segment() -> None:
    SESSION.assert_called("crazyrouter", "/jimeng/fetch/{task_id}", times=3)
    assert SESSION.calls("crazyrouter", "/jimeng/{anything}") == []


def test_method_filters_and_is_case_insensitive() -> None:
    SESSION.assert_called("crazyrouter", "/jimeng/submit/videos", method="post")
    SESSION.assert_not_called("crazyrouter", "/jimeng/submit/videos", method="GET")


def test_the_gateway_must_match() -> None:
    SESSION.assert_not_called("octopusx", "/jimeng/submit/videos")


def test_a_miss_lists_the_nearest_requests_closest_first() -> None:
    with pytest.raises(AssertionError) as failure:
        SESSION.assert_called("crazyrouter", "/jimeng/submit/video", method="POST")
    lines = str(failure.value).splitlines()
    assert lines[0] == (
        "expected POST crazyrouter /jimeng/submit/video to be called at least once, but it was called 0 times."
    )
    assert lines[1] == "Nearest requests made (4 of 4 distinct, closest first):"
    assert lines[2] == "  POST /crazyrouter/jimeng/submit/videos -> 200 (crazyrouter)"
    assert "  GET /crazyrouter/jimeng/fetch/111 -> 200 (crazyrouter)  x2" in lines


def test_a_wrong_count_lists_the_matching_requests() -> None:
    with pytest.raises(AssertionError) as failure:
        SESSION.assert_called("crazyrouter", "/jimeng/fetch/{task_id}", times=1)
    message = str(failure.value)
    assert "to be called 1 time, but it was called 3 times" in message
    assert "Matching requests:\n  GET /crazyrouter/jimeng/fetch/111 -> 200" in message
    assert "GET /crazyrouter/jimeng/fetch/222 -> 400" in message


def test_an_empty_journal_says_so() -> None:
    with pytest.raises(AssertionError, match="No request was made at all"):
        Journal().assert_called("crazyrouter", "/jimeng/submit/videos", times=2)


def test_at_most_five_near_misses_are_shown() -> None:
    journal = journal_with(*(("GET", f"/crazyrouter/jimeng/fetch/{n}", 200) for n in range(20)))
    with pytest.raises(AssertionError) as failure:
        journal.assert_called("crazyrouter", "/jimeng/submit/videos")
    assert "(5 of 20 distinct" in str(failure.value)
    assert len(str(failure.value).splitlines()) == 7


def test_an_exchange_is_journaled_before_its_last_byte_is_sent() -> None:
    """A client that has its answer (and a test asserting on the journal next) always finds it recorded."""
    journal = Journal()
    seen_when_sent: list[tuple[bool, int]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        await send({"type": "http.response.body", "body": b"end"})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            seen_when_sent.append((message.get("more_body", False), len(journal)))

    scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b""}
    anyio.run(JournalMiddleware(app, journal, now=lambda: 0.0), scope, receive, send)

    assert seen_when_sent == [(True, 0), (False, 1)]
    [entry] = journal.entries()
    assert (entry.status, entry.response_body) == (200, "partend")


def test_entries_keep_their_numbers_when_older_ones_are_dropped_or_cleared() -> None:
    journal = Journal(size=3)
    for number in range(5):
        journal.add(Exchange(0.0, "p", "GET", f"/p/{number}", b"", [], b"", 200, [], b""))
    assert [(e.seq, e.path) for e in journal.entries()] == [(3, "/p/2"), (4, "/p/3"), (5, "/p/4")]
    journal.clear()
    journal.add(Exchange(0.0, "p", "GET", "/p/5", b"", [], b"", 200, [], b""))
    assert [(e.seq, e.path) for e in journal.entries()] == [(6, "/p/5")]
