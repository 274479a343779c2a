"""Every scenario of the bundled library, driven through the Crazyrouter gateway on the virtual clock."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.support import AUTH, ContractClient, fetch, make_client, run_to_end

SUBMIT = "/crazyrouter/jimeng/submit/videos"


def submit_with(client: ContractClient, scenario: str, **body: Any) -> httpx2.Response:
    body = {"model": "jimeng-video-3.0", "prompt": "a cat", **body}
    return client.post(SUBMIT, json=body, headers={**AUTH, "X-Mock-Scenario": scenario})


def poll(client: ContractClient, task_id: str) -> httpx2.Response:
    return client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)


def test_moderation_fail_fails_at_80_percent(client: ContractClient) -> None:
    task_id = submit_with(client, "moderation_fail").json()["id"]
    seen = run_to_end(client, task_id)
    assert seen[-1] == "failed" and "processing" in seen
    data = fetch(client, task_id)
    assert data["error"] == {"code": 400, "message": "Post Video Risk Not Pass"} and data["url"] == ""
    task = client.get(f"/__admin/tasks/{task_id}").json()
    assert task["scenario"] == "moderation_fail" and task["progress"] == 80


@pytest.mark.parametrize(
    ("scenario", "status", "body"),
    [
        ("input_moderation", 400, {"code": "upstream_error", "message": "Text Risk Not Pass", "data": None}),
        ("image_moderation", 400, {"code": "upstream_error", "message": "Pre Img Risk Not Pass", "data": None}),
        ("credits_exhausted", 403, {"code": "quota_not_enough", "message": "user quota is not enough", "data": None}),
    ],
)
def test_refusals_at_submit(client: ContractClient, scenario: str, status: int, body: dict[str, Any]) -> None:
    response = submit_with(client, scenario)
    assert (response.status_code, response.json()) == (status, body)
    assert client.get("/__admin/tasks").json()["total"] == 0


def test_rate_limited_submit_has_retry_after(client: ContractClient) -> None:
    response = submit_with(client, "rate_limited")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["message"].startswith("当前分组上游负载已饱和，请稍后再试")


def test_rate_limited_polls_then_success(client: ContractClient) -> None:
    task_id = submit_with(client, "rate_limited_polls").json()["id"]
    for _ in range(2):
        limited = poll(client, task_id)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert poll(client, task_id).status_code == 200
    assert run_to_end(client, task_id)[-1] == "succeeded"


def test_third_poll_503(client: ContractClient) -> None:
    task_id = submit_with(client, "third_poll_503").json()["id"]
    statuses = [poll(client, task_id).status_code for _ in range(5)]
    assert statuses == [200, 200, 503, 200, 200]
    assert poll(client, task_id).status_code == 200


def test_flaky_polls_are_the_same_for_the_same_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with make_client(seed=seed) as client:
            task_id = submit_with(client, "flaky_polls").json()["id"]
            return [poll(client, task_id).status_code for _ in range(60)]

    first = pattern(5)
    assert first == pattern(5)
    assert 3 <= first.count(502) <= 25, first
    assert set(first) == {200, 502}


@pytest.mark.parametrize(("scenario", "state"), [("stuck_processing", "processing"), ("stuck_queue", "queued")])
def test_stuck_tasks_never_finish(client: ContractClient, scenario: str, state: str) -> None:
    task_id = submit_with(client, scenario).json()["id"]
    client.runtime.clock.advance(30)
    fetch(client, task_id)
    client.runtime.clock.advance(6 * 86400)
    assert fetch(client, task_id)["status"] == state


def test_cdn_lag_404_then_200(client: ContractClient) -> None:
    task_id = submit_with(client, "cdn_lag").json()["id"]
    run_to_end(client, task_id, step=1)
    url = fetch(client, task_id)["url"]
    assert client.get(url).status_code == 404
    client.runtime.clock.advance(3)
    assert client.get(url).status_code == 200


def test_url_expires_early(client: ContractClient) -> None:
    task_id = submit_with(client, "url_expires_early").json()["id"]
    run_to_end(client, task_id, step=1)
    url = fetch(client, task_id)["url"]
    assert client.get(url).status_code == 200
    client.runtime.clock.advance(60)
    assert client.get(url).status_code == 403


def test_no_url(client: ContractClient) -> None:
    task_id = submit_with(client, "no_url").json()["id"]
    run_to_end(client, task_id)
    data = fetch(client, task_id)
    assert (data["status"], data["url"], data["error"]) == ("succeeded", "", None)


def test_late_status_trails_by_30_seconds() -> None:
    options = {"crazyrouter": {"timings": {"queued": 10, "processing": 20}}}
    with make_client(provider_options=options) as client:
        late = submit_with(client, "late_status").json()["id"]
        on_time = client.post(SUBMIT, json={"model": "jimeng-video-3.0", "prompt": "a"}, headers=AUTH).json()["id"]
        client.runtime.clock.advance(30)
        assert (fetch(client, on_time)["status"], fetch(client, late)["status"]) == ("succeeded", "queued")
        client.runtime.clock.advance(30)
        assert fetch(client, late)["status"] == "succeeded"


@pytest.mark.parametrize(
    ("scenario", "error", "progress"),
    [
        ("timeout_no_result", {"code": 400, "message": "任务执行失败"}, 99),
        ("internal_error", {"code": 400, "message": "Internal Error"}, 40),
    ],
)
def test_failures_during_generation(
    client: ContractClient, scenario: str, error: dict[str, Any], progress: int
) -> None:
    task_id = submit_with(client, scenario).json()["id"]
    assert run_to_end(client, task_id)[-1] == "failed"
    assert fetch(client, task_id)["error"] == error
    assert client.get(f"/__admin/tasks/{task_id}").json()["progress"] == progress


def test_instant(client: ContractClient) -> None:
    task_id = submit_with(client, "instant").json()["id"]
    assert fetch(client, task_id)["status"] == "succeeded"


def test_poll_driven(client: ContractClient) -> None:
    task_id = submit_with(client, "poll_driven").json()["id"]
    assert [fetch(client, task_id)["status"] for _ in range(4)] == ["queued", "processing", "processing", "succeeded"]


def test_default_is_the_normal_run(client: ContractClient) -> None:
    task_id = submit_with(client, "default").json()["id"]
    assert run_to_end(client, task_id)[-1] == "succeeded"
