"""Record a gateway through the proxy (a second mock plays the real upstream), replay it, get the same bytes;
and one seed plus one request script give the same journal, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from mockserver.cassettes import REPORT_PATH, Cassette, Recorder, Replayer
from mockserver.core.clock import MockClock
from tests.server.live import live_server, serving
from tests.support import make_client

KEY = {"Authorization": "Bearer sk-real-secret"}
SUBMIT = {"model": "jimeng-video-3.0", "prompt": "a cat", "duration": 5}


def script(http: httpx.Client, advance: object) -> list[tuple[int, bytes]]:
    """Submit, a refused submit, polls across the task's life, an unknown id (with the key in its query too)."""
    answers = []
    created = http.post("/crazyrouter/jimeng/submit/videos", json=SUBMIT, headers=KEY)
    answers.append((created.status_code, created.content))
    refused = http.post("/crazyrouter/jimeng/submit/videos", json={**SUBMIT, "duration": 7}, headers=KEY)
    answers.append((refused.status_code, refused.content))
    task = created.json()["id"]
    for _ in range(4):
        poll = http.get(f"/crazyrouter/jimeng/fetch/{task}", headers=KEY)
        answers.append((poll.status_code, poll.content))
        advance(60)  # type: ignore[operator]
    missing = http.get("/crazyrouter/jimeng/fetch/404?key=sk-real-secret", headers=KEY)
    answers.append((missing.status_code, missing.content))
    video = http.get(
        poll.json()["data"]["url"], headers=KEY
    )  # the result, through the proxy's (or the replay's) address
    answers.append((video.status_code, video.content))
    return answers


def here(answers: list[tuple[int, bytes]], base: str) -> list[tuple[int, bytes]]:
    """The answers with the server's own address named as `BASE`: result URLs point at whoever served them."""
    return [(status, content.replace(base.encode(), b"BASE")) for status, content in answers]


def test_record_then_replay_gives_the_same_answers(tmp_path: Path) -> None:
    out = tmp_path / "crazyrouter.json"
    with live_server(seed=11) as (upstream, runtime):
        recorder = Recorder(upstream, out, MockClock("virtual").now, source="crazyrouter")
        with serving(recorder) as proxy, httpx.Client(base_url=proxy) as http:
            recorded = script(http, runtime.clock.advance)
    cassette = Cassette.load(out)
    assert len(cassette.interactions) == len(recorded)
    assert recorded[-1][0] == 200 and recorded[-1][1][4:8] == b"ftyp"  # an MP4, recorded through the proxy
    assert "sk-real-secret" not in out.read_text()
    calls, downloads = cassette.interactions[:-1], cassette.interactions[-1:]
    assert all(i.request_headers["authorization"] == "***" for i in calls)
    assert [i.path for i in downloads] == [f"/__results/{name}" for name in cassette.results]
    assert "authorization" not in downloads[0].request_headers  # the key is not sent on to a CDN

    replayer = Replayer(cassette)
    with serving(replayer) as replay, httpx.Client(base_url=replay) as http:  # the upstream is gone: offline
        replayed = script(http, lambda seconds: None)
        assert here(replayed, replay) == here(recorded, proxy)
        report = http.get(REPORT_PATH).json()
    assert report["unmatched"] == [] and report["unused"] == []


def test_an_unreachable_upstream_is_a_502_and_nothing_is_recorded(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    recorder = Recorder("http://127.0.0.1:9", out, MockClock("virtual").now)
    with serving(recorder) as proxy, httpx.Client(base_url=proxy) as http:
        response = http.get("/crazyrouter/jimeng/fetch/1")
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_unreachable"
    assert not out.exists()


def test_one_seed_one_script_identical_journals() -> None:
    def journal() -> bytes:
        with make_client(seed=21, media_secret="k") as client:  # result URLs are signed with it: fixed, not random
            script(client, client.runtime.clock.advance)  # type: ignore[arg-type]
            return client.get("/__admin/cassette").content

    first, second = journal(), journal()
    assert first == second
    assert len(json.loads(first)["interactions"]) == 7
