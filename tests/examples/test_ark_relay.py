"""The Ark relay example against the mock as its upstream, both real servers: the relay maps Ark's statuses and
codes to its own, and Ark's callbacks (sent by the mock as its clock moves) reach it, so its clients' polls stop
costing upstream calls. Failures included: a key Ark refuses, a rate limit at create, input and output moderation,
a task that expires."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver.testing import MockServer
from mockserver.testing.threaded import ServerThread, bind
from tests.examples.ark_relay import ArkRelay

KEY = "sk-relay"
TASKS = "/api/v3/contents/generations/tasks"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(providers=["ark"], api_keys=[KEY]) as server:
        yield server


@pytest.fixture
def relay(mock: MockServer) -> Iterator[tuple[ArkRelay, httpx.Client]]:
    """The relay, served on a free port, with its callback address; a client of it."""
    mock.reset()
    sock = bind("127.0.0.1", 0)
    address = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with httpx.Client() as upstream:
        relay = ArkRelay(upstream, mock.url_for("ark"), KEY, callback_url=f"{address}/ark/callback")
        server = ServerThread(relay.app, sock)
        server.start()
        try:
            with httpx.Client(base_url=address) as client:
                yield relay, client
        finally:
            server.stop()


def test_a_video_through_the_relay_answered_from_its_callbacks(
    relay: tuple[ArkRelay, httpx.Client], mock: MockServer
) -> None:
    ark_relay, client = relay
    created = client.post("/v1/videos", json={"prompt": "a cat", "seconds": 10})
    assert created.status_code == 200 and created.json()["status"] == "queued"
    video_id = created.json()["id"]
    assert client.get(f"/v1/videos/{video_id}").json() == {"id": video_id, "status": "queued"}
    mock.clock.advance_until(video_id, "succeeded")
    assert ark_relay.called_back[video_id]["status"] == "succeeded"
    polls_before = len(mock.journal.calls("ark", TASKS + "/{id}", method="GET"))
    answer = client.get(f"/v1/videos/{video_id}").json()
    assert answer["status"] == "succeeded" and httpx.get(answer["url"]).content[4:8] == b"ftyp"
    assert len(mock.journal.calls("ark", TASKS + "/{id}", method="GET")) == polls_before  # no upstream call
    mock.journal.assert_callbacks(video_id, ["queued", "running", "succeeded"], answered=True)


def test_statuses_out_of_order_never_go_back(relay: tuple[ArkRelay, httpx.Client], mock: MockServer) -> None:
    ark_relay, client = relay
    video_id = client.post("/v1/videos", json={"prompt": "[[mock:ark_callbacks_out_of_order]] a cat"}).json()["id"]
    mock.clock.advance_until(video_id, "running")
    mock.clock.advance(0.01)
    assert ark_relay.called_back[video_id]["status"] == "running"  # queued arrived after running, and was ignored
    mock.journal.assert_callbacks(video_id, ["running", "queued"])


def test_a_key_ark_refuses_is_the_relays_own_fault(mock: MockServer) -> None:
    with httpx.Client() as upstream:
        relay = ArkRelay(upstream, mock.url_for("ark"), "sk-rotated-away")
        refused = TestClient(relay.app).post("/v1/videos", json={"prompt": "a cat"})
    assert refused.status_code == 502
    assert refused.json()["error"]["message"].startswith("AuthenticationError: ")


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("ark_rate_limited", 429, "rate_limited"),
        ("ark_sensitive_content", 400, "content_refused"),
        ("ark_input_image_privacy", 400, "content_refused"),
        ("ark_account_overdue", 502, "upstream_auth"),
    ],
)
def test_refusals_at_create(relay: tuple[ArkRelay, httpx.Client], scenario: str, status: int, code: str) -> None:
    _, client = relay
    refused = client.post("/v1/videos", json={"prompt": f"[[mock:{scenario}]] a cat"})
    assert refused.status_code == status and refused.json()["error"]["code"] == code
    if status == 429:
        assert refused.headers["Retry-After"] == "1"


def test_an_invalid_request_names_the_parameter(relay: tuple[ArkRelay, httpx.Client]) -> None:
    _, client = relay
    refused = client.post("/v1/videos", json={"prompt": "a cat", "seconds": 30})
    assert refused.status_code == 400 and refused.json()["error"]["message"].startswith("duration: ")


def test_a_task_that_expires_fails(relay: tuple[ArkRelay, httpx.Client], mock: MockServer) -> None:
    _, client = relay
    body = {"prompt": "[[mock:ark_expires]] a cat", "expires_after": 3600}
    video_id = client.post("/v1/videos", json=body).json()["id"]
    mock.clock.advance(3601)
    assert client.get(f"/v1/videos/{video_id}").json() == {"id": video_id, "status": "failed", "reason": "TaskExpired"}


def test_output_moderation_fails_the_video(relay: tuple[ArkRelay, httpx.Client], mock: MockServer) -> None:
    _, client = relay
    video_id = client.post("/v1/videos", json={"prompt": "[[mock:ark_output_video_sensitive]] a cat"}).json()["id"]
    mock.clock.advance(3600)
    answer = client.get(f"/v1/videos/{video_id}").json()
    assert answer == {"id": video_id, "status": "failed", "reason": "OutputVideoSensitiveContentDetected"}
    assert client.get("/v1/videos/cgt-20250101000000-zzzzz").status_code == 404
