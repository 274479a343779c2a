"""Replay: recorded answers in recorded order, near misses reported, the rest to the mock when asked."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from mockserver.cassettes import REPORT_PATH, Cassette, Replayer
from mockserver.cassettes.cassette import Interaction
from mockserver.server.app import create_app
from tests.cassettes.test_cassette import interaction
from tests.support import AUTH, make_client, run_to_end, submit

POLL = "/crazyrouter/jimeng/fetch/1"


def polls(*statuses: str) -> list[Interaction]:
    return [
        interaction(method="GET", path=POLL, request_body=b"", response_body=json.dumps({"s": s}).encode())
        for s in statuses
    ]


def test_answers_come_back_in_recorded_order_and_the_last_one_holds() -> None:
    with TestClient(Replayer(Cassette(polls("queued", "processing", "succeeded")))) as client:
        seen = [client.get(POLL).json()["s"] for _ in range(5)]
        assert seen == ["queued", "processing", "succeeded", "succeeded", "succeeded"]
        report = client.get(REPORT_PATH).json()
        assert report["served"] == 5 and report["repeated"] == [f"GET {POLL}"] * 2 and report["unused"] == []


def test_bodies_match_by_value_and_headers_come_back() -> None:
    recorded = interaction(response_headers={"content-type": "application/json", "retry-after": "2"}, status=429)
    with TestClient(Replayer(Cassette([recorded]))) as client:
        response = client.post(recorded.path, content=b'{ "prompt" : "a cat" }')
        assert response.status_code == 429 and response.headers["retry-after"] == "2"
        assert response.content == recorded.response_body


def test_unmatched_requests_name_the_nearest_recorded_ones() -> None:
    with TestClient(Replayer(Cassette(polls("queued")))) as client:
        response = client.get("/crazyrouter/jimeng/fetch/2")
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "no_recorded_interaction" and error["nearest"] == [f"GET {POLL}"]
        assert client.post(POLL).status_code == 404
        report = client.get(REPORT_PATH).json()
        assert [u["request"] for u in report["unmatched"]] == ["GET /crazyrouter/jimeng/fetch/2", f"POST {POLL}"]
        assert report["unused"] == [f"GET {POLL}"]


def test_with_a_fallback_the_rest_goes_to_the_mock() -> None:
    runtime = make_client().runtime
    cassette = Cassette(polls("scripted"))
    with TestClient(Replayer(cassette, fallback=create_app(runtime=runtime))) as client:
        assert client.get(POLL, headers=AUTH).json() == {"s": "scripted"}
        live = client.post(
            "/crazyrouter/jimeng/submit/videos", json={"model": "jimeng-video-3.0", "prompt": "a"}, headers=AUTH
        )
        assert live.status_code == 200 and live.json()["object"] == "video"


def test_the_journal_exported_as_a_cassette_replays_the_same_answers() -> None:
    with make_client(seed=3) as mock:
        task_id = submit(mock, prompt="a cat [[mock:moderation_fail]]").json()["id"]
        run_to_end(mock, task_id)
        exported = mock.get("/__admin/cassette")
        cassette = Cassette.loads(exported.content)
        document = exported.json()
        assert document["seed"] == 3 and document["scenarios"] == {task_id: "moderation_fail"}
        assert all(i["request"]["headers"].get("authorization") == "***" for i in document["interactions"])
        recorded = [
            (i["request"]["method"], i["request"]["path"], i["response"]["body"]["text"])
            for i in document["interactions"]
        ]
        assert len(cassette.interactions) == len(recorded) > 5
    replayer = Replayer(cassette)
    with TestClient(replayer) as client:
        for method, path, body in recorded:
            payload = json.dumps({"model": "jimeng-video-3.0", "prompt": "a cat [[mock:moderation_fail]]"})
            answer = client.request(method, path, content=payload if method == "POST" else None, headers=AUTH)
            assert answer.text == body
        assert client.get(REPORT_PATH).json()["unmatched"] == []


def test_a_redacted_body_field_matches_any_value() -> None:
    recorded = interaction(request_body=b'{"prompt":"a cat","api_token":"***","n":1}')
    with TestClient(Replayer(Cassette([recorded]))) as client:
        response = client.post(recorded.path, json={"n": 1, "api_token": "the-real-one", "prompt": "a cat"})
        assert response.status_code == recorded.status and response.content == recorded.response_body


def test_a_redacted_query_parameter_matches_any_value() -> None:
    recorded = interaction(method="GET", path=POLL, query="key=***&limit=2", request_body=b"")
    with TestClient(Replayer(Cassette([recorded]))) as client:
        response = client.get(f"{POLL}?key=sk-the-real-one&limit=2")
        assert response.status_code == recorded.status and response.content == recorded.response_body
        assert client.get(f"{POLL}?key=sk-the-real-one&limit=3").status_code == 404


def test_a_near_miss_says_which_body_field_differed() -> None:
    recorded = interaction(request_body=b'{"prompt":"a cat","api_token":"***","options":{"duration":5}}')
    with TestClient(Replayer(Cassette([recorded]))) as client:
        response = client.post(recorded.path, json={"prompt": "a cat", "api_token": "x", "options": {"duration": 10}})
        assert response.status_code == 404
        (nearest,) = response.json()["error"]["nearest"]
        assert nearest == f"POST {recorded.path} (body field options.duration: recorded 5, sent 10)"
        missing = client.post(recorded.path, json={"api_token": "x", "options": {"duration": 5}})
        assert 'body field prompt: recorded "a cat", sent nothing' in missing.json()["error"]["nearest"][0]
        report = client.get(REPORT_PATH).json()
        assert report["unmatched"][0]["nearest"] == [nearest]
