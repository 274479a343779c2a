"""Recording a gateway that takes signatures (volcengine) through the proxy: a client signs for the proxy's address,
the proxy signs anew for the upstream with the real pair, and the cassette keeps no signature, key or token."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mockserver.cassettes import REPORT_PATH, Cassette, Recorder, Replayer
from mockserver.cassettes.record import signed_for
from mockserver.cli.main import main
from mockserver.core.clock import MockClock, SystemClock
from mockserver.core.volc_v4 import KeyPair, default_key_pair, sign
from tests.server.live import live_server, serving

SEED = 11
REAL = default_key_pair(SEED)
"""The pair the upstream accepts: the proxy's, never the client's."""
CLIENT = KeyPair("AKLTclientkey", "client-secret-key")
"""What the client signs with: the proxy re-signs whatever it is."""
STS_TOKEN = "sts-session-token-value"
SUBMIT = ("CVSync2AsyncSubmitTask", "2022-08-31")
GET_RESULT = ("CVSync2AsyncGetResult", "2022-08-31")


def signed_post(
    http: httpx.Client, operation: tuple[str, str], body: dict[str, object], pair: KeyPair = CLIENT
) -> httpx.Response:
    """POST /volcengine/?Action=..&Version=.. signed with `pair` for the address the client talks to."""
    raw = json.dumps(body).encode()
    query = [("Action", operation[0]), ("Version", operation[1])]
    host = http.base_url.netloc.decode()
    headers = sign(pair, "POST", "/volcengine/", query, host, raw, now=SystemClock().now())
    headers["X-Security-Token"] = STS_TOKEN
    return http.post(f"/volcengine/?Action={operation[0]}&Version={operation[1]}", content=raw, headers=headers)


def script(http: httpx.Client, advance: object) -> list[tuple[int, bytes]]:
    """Submit, a refused submit, polls across the task's life, the video."""
    answers = []
    created = signed_post(http, SUBMIT, {"req_key": "jimeng_t2v_v30", "prompt": "a cat"})
    answers.append((created.status_code, created.content))
    refused = signed_post(http, SUBMIT, {"req_key": "jimeng_t2v_v30", "prompt": "a cat", "frames": 120})
    answers.append((refused.status_code, refused.content))
    task_id = created.json()["data"]["task_id"]
    for _ in range(3):
        poll = signed_post(http, GET_RESULT, {"req_key": "jimeng_t2v_v30", "task_id": task_id})
        answers.append((poll.status_code, poll.content))
        advance(120)  # type: ignore[operator]
    video = http.get(poll.json()["data"]["video_url"])
    answers.append((video.status_code, video.content))
    return answers


def here(answers: list[tuple[int, bytes]], base: str) -> list[tuple[int, bytes]]:
    return [(status, content.replace(base.encode(), b"BASE")) for status, content in answers]


def test_a_signed_gateway_is_recorded_signed_anew_and_replayed(tmp_path: Path) -> None:
    out = tmp_path / "volcengine.json"
    with live_server(seed=SEED) as (upstream, runtime):
        recorder = Recorder(upstream, out, MockClock("virtual").now, source="volcengine", signer=REAL)
        with serving(recorder) as proxy, httpx.Client(base_url=proxy) as http:
            recorded = script(http, runtime.clock.advance)
        upstream_saw = [entry.request_headers for entry in runtime.journal.entries(provider="volcengine")]
        exported = httpx.get(f"{upstream}/__admin/cassette").text  # the upstream mock's journal as a cassette
    assert [status for status, _ in recorded] == [200, 400, 200, 200, 200, 200], recorded
    assert json.loads(recorded[-2][1])["data"]["status"] == "done" and recorded[-1][1][4:8] == b"ftyp"
    assert len(upstream_saw) == 5 and all(f"Credential={REAL.access_key}/" in h["authorization"] for h in upstream_saw)

    assert exported.count("CVSync2AsyncGetResult") == 3 and exported.count('"x-security-token": "***"') == 5
    for text in (out.read_text(), exported):
        for secret in (CLIENT.access_key, REAL.access_key, REAL.secret_key, STS_TOKEN, "Signature="):
            assert secret not in text, secret
    calls = Cassette.load(out).interactions[:-1]
    assert all(i.request_headers["authorization"] == "***" for i in calls)
    assert all(i.request_headers["x-security-token"] == "***" for i in calls)

    with serving(Replayer(Cassette.load(out))) as replay, httpx.Client(base_url=replay) as http:
        replayed = script(http, lambda seconds: None)  # signed anew by the client: bodies and queries match
        assert here(replayed, replay) == here(recorded, proxy)
        report = http.get(REPORT_PATH).json()
    assert report["unmatched"] == [] and report["unused"] == []


def test_without_the_real_pair_the_upstream_refuses_the_proxied_signature(tmp_path: Path) -> None:
    """Why the proxy signs: the client's signature, even with the real pair, covers the proxy's Host."""
    with live_server(seed=SEED) as (upstream, _):
        recorder = Recorder(upstream, tmp_path / "c.json", SystemClock().now)
        with serving(recorder) as proxy, httpx.Client(base_url=proxy) as http:
            response = signed_post(http, SUBMIT, {"req_key": "jimeng_t2v_v30", "prompt": "a cat"}, REAL)
    assert response.status_code == 401, response.text
    assert response.json()["ResponseMetadata"]["Error"]["Code"] == "SignatureDoesNotMatch"


def test_the_client_s_region_and_service_are_kept_and_other_headers_pass() -> None:
    client = sign(CLIENT, "POST", "/", [], "127.0.0.1:8000", b"{}", region="cn-beijing", now=SystemClock().now())
    headers = [(name, value) for name, value in client.items() if name != "Host"] + [("X-Trace", "1")]
    resigned = dict(signed_for(REAL, "POST", httpx.URL("https://visual.volcengineapi.com/?Action=A"), headers, b"{}"))
    assert resigned["Authorization"].startswith(f"HMAC-SHA256 Credential={REAL.access_key}/")
    assert "/cn-beijing/cv/request" in resigned["Authorization"] and resigned["X-Trace"] == "1"
    assert sum(name.lower() == "authorization" for name in resigned) == 1


@pytest.mark.parametrize("held", [None, "not a pair"])
def test_record_refuses_a_sign_with_variable_without_a_pair(
    held: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if held is None:
        monkeypatch.delenv("VOLC_PAIR", raising=False)
    else:
        monkeypatch.setenv("VOLC_PAIR", held)
    arguments = ["record", "--upstream", "http://127.0.0.1:9", "--out", str(tmp_path / "c.json")]
    assert main([*arguments, "--sign-with", "VOLC_PAIR"]) == 2
    assert "$VOLC_PAIR must hold a key pair as AK|SK" in capsys.readouterr().err
