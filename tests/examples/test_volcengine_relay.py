"""The relay example against the mock as its upstream: it signs with the mock's key pair, maps in_queue /
generating / done and the business codes to its own statuses, and says so when the upstream refuses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver.core.clock import SystemClock
from mockserver.core.volc_v4 import default_key_pair
from tests.examples.volcengine_relay import VolcengineRelay
from tests.support import ContractClient, make_client

PAIR = default_key_pair(0)


@pytest.fixture
def mock() -> Iterator[ContractClient]:
    with make_client(seed=0) as client:
        yield client


def relay_for(mock: ContractClient, secret: str = PAIR.secret_key) -> TestClient:
    relay = VolcengineRelay(mock, "http://testserver/volcengine", PAIR.access_key, secret, SystemClock().now)
    return TestClient(relay.app)


def test_a_video_through_the_relay(mock: ContractClient) -> None:
    relay = relay_for(mock)
    created = relay.post("/v1/videos", json={"prompt": "a cat", "seconds": 10})
    assert created.status_code == 200 and created.json()["status"] == "queued"
    video_id = created.json()["id"]
    seen: list[str] = []
    while not seen or seen[-1] not in ("succeeded", "failed"):
        seen.append(relay.get(f"/v1/videos/{video_id}").json()["status"])
        mock.runtime.clock.advance(15)
    assert seen[0] == "queued" and "in_progress" in seen and seen[-1] == "succeeded"
    url = relay.get(f"/v1/videos/{video_id}").json()["url"]
    assert mock.get(url).content[4:8] == b"ftyp"


def test_a_wrong_secret_is_the_relays_own_fault(mock: ContractClient) -> None:
    refused = relay_for(mock, secret="rotated-away").post("/v1/videos", json={"prompt": "a cat"})
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "upstream_auth"
    assert refused.json()["error"]["message"].startswith("SignatureDoesNotMatch: ")


def test_the_concurrency_limit_at_submit_is_a_429_to_retry(mock: ContractClient) -> None:
    refused = relay_for(mock).post("/v1/videos", json={"prompt": "[[mock:volcengine_50430]] a cat"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Concurrent Limit" in refused.json()["error"]["message"]


def test_a_task_read_after_its_24_hours_has_expired(mock: ContractClient) -> None:
    relay = relay_for(mock)
    video_id = relay.post("/v1/videos", json={"prompt": "a cat"}).json()["id"]
    mock.runtime.clock.advance(25 * 3600)
    assert relay.get(f"/v1/videos/{video_id}").json() == {"id": video_id, "status": "failed", "reason": "expired"}


def test_post_moderation_fails_the_video_with_the_upstreams_reason(mock: ContractClient) -> None:
    relay = relay_for(mock)
    video_id = relay.post("/v1/videos", json={"prompt": "[[mock:volcengine_50516]] a cat"}).json()["id"]
    mock.runtime.clock.advance(3600)
    answer = relay.get(f"/v1/videos/{video_id}").json()
    assert answer == {"id": video_id, "status": "failed", "reason": "Post Video Risk Not Pass"}
