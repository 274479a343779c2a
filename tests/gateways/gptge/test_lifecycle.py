"""From submit to an expired URL and an expired id, on the virtual clock: in_queue -> generating -> done,
a playable MP4 for one hour, the id for 24 hours, then expired, then not_found."""

from __future__ import annotations

import pytest

from tests.gateways.gptge.helpers import BASE, data_of, decode, i2v, poll, run_to_end, t2v, task_id_of
from tests.support import AUTH, ContractClient, make_client, png_base64

HOUR, DAY = 3600, 86400


def finished_time(client: ContractClient, task_id: str) -> float:
    finished: float = client.get(f"/__admin/tasks/{task_id}").json()["finished_at"]
    return finished


def test_text_to_video_from_submit_to_expired_url_and_expired_id(client: ContractClient) -> None:
    submitted = client.runtime.clock.now()
    task_id = task_id_of(t2v(client, aspect_ratio="9:16"))
    seen = run_to_end(client, task_id, step=2)
    assert seen[0] == "in_queue" and "generating" in seen and seen[-1] == "done"
    assert seen == sorted(seen, key=["in_queue", "generating", "done"].index), "states never go back"

    data = data_of(client, task_id)
    url = data["video_url"]
    video = client.get(url)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert decode(video.content) == (720, 1280, 121, 24.0)
    assert data_of(client, task_id)["video_url"] == url, "every poll returns the same URL"

    finished = finished_time(client, task_id)
    client.runtime.clock.set(finished + HOUR - 1)
    assert client.get(url).status_code == 200
    assert data_of(client, task_id)["status"] == "done"
    client.runtime.clock.set(finished + HOUR)
    expired_url = client.get(url)
    assert expired_url.status_code == 403 and "Request has expired" in expired_url.text
    assert data_of(client, task_id)["status"] == "done", "the task outlives its URL"

    client.runtime.clock.set(submitted + DAY - 1)
    assert data_of(client, task_id)["status"] == "done"
    client.runtime.clock.set(submitted + DAY)
    assert data_of(client, task_id) == {
        "binary_data_base64": [],
        "image_urls": None,
        "resp_data": "",
        "status": "expired",
        "video_url": "",
    }
    client.runtime.clock.set(submitted + 2 * DAY)
    assert data_of(client, task_id)["status"] == "not_found"


def test_image_to_video_from_submit_to_download(client: ContractClient) -> None:
    task_id = task_id_of(i2v(client, binary_data_base64=[png_base64(2100, 900, "JPEG")]))
    run_to_end(client, task_id)
    assert decode(client.get(data_of(client, task_id)["video_url"]).content) == (1680, 720, 121, 24.0)


def test_a_failing_task_from_submit_to_expiry(client: ContractClient) -> None:
    submitted = client.runtime.clock.now()
    task_id = task_id_of(t2v(client, headers={"X-Mock-Scenario": "gptge_50500"}))
    assert data_of(client, task_id)["status"] == "in_queue"
    seen: list[str] = []
    while (response := poll(client, task_id)).status_code == 200:
        seen.append(response.json()["data"]["status"])
        client.runtime.clock.advance(2)
    assert seen[0] == "in_queue" and seen[-1] == "generating"
    assert response.status_code == 500
    body = response.json()
    assert (body["code"], body["message"], body["data"]["status"]) == (50500, "Internal Error", "done")
    assert body["data"]["video_url"] == ""
    client.runtime.clock.set(submitted + DAY)
    assert data_of(client, task_id)["status"] == "expired"
    client.runtime.clock.set(submitted + 2 * DAY)
    assert data_of(client, task_id)["status"] == "not_found"


@pytest.mark.parametrize("task_id", ["1", "12801720666625213578", "abc", "not-a-task"])
def test_unknown_ids_are_not_found(client: ContractClient, task_id: str) -> None:
    response = poll(client, task_id)
    assert response.status_code == 200 and response.json()["code"] == 10000
    assert response.json()["data"]["status"] == "not_found"


def test_generation_takes_realistic_time(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client))
    client.runtime.clock.advance(1)
    assert data_of(client, task_id)["status"] in ("in_queue", "generating")
    client.runtime.clock.advance(14)
    assert data_of(client, task_id)["status"] == "generating"
    client.runtime.clock.advance(600)
    assert data_of(client, task_id)["status"] == "done"


def test_lifetimes_and_timings_are_settings() -> None:
    options = {"gptge": {"url_ttl": 60, "task_ttl": 600, "timings": {"in_queue": 1, "generating": {"polls": 2}}}}
    with make_client(provider_options=options) as client:
        submitted = client.runtime.clock.now()
        task_id = task_id_of(t2v(client))
        client.runtime.clock.advance(2)
        assert [data_of(client, task_id)["status"] for _ in range(3)] == ["generating", "generating", "done"]
        url = data_of(client, task_id)["video_url"]
        finished = finished_time(client, task_id)
        client.runtime.clock.set(finished + 59)
        assert client.get(url).status_code == 200
        client.runtime.clock.set(finished + 60)
        assert client.get(url).status_code == 403
        client.runtime.clock.set(submitted + 600)
        assert data_of(client, task_id)["status"] == "expired"


def test_tasks_of_other_gateways_are_not_found_here(client: ContractClient) -> None:
    other = client.post(
        "/crazyrouter/jimeng/submit/videos", json={"model": "jimeng-video-3.0", "prompt": "a"}, headers=AUTH
    ).json()["id"]
    assert client.get(f"{BASE}/task/{other}", headers=AUTH).json()["data"]["status"] == "not_found"
