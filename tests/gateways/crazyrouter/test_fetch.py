"""GET /crazyrouter/jimeng/fetch/{task_id}: the seed's envelope through every state, and unknown ids."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mockserver.gateways.kit.results import DERIVED_LIMIT
from mockserver.scenarios import parse
from tests.support import AUTH, ContractClient, fetch, make_client, run_to_end, submit

LIFECYCLE_ORDER = ["queued", "processing", "succeeded"]


def test_states_move_queued_processing_succeeded(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    seen = run_to_end(client, task_id)
    distinct = [state for n, state in enumerate(seen) if n == 0 or seen[n - 1] != state]
    assert distinct == LIFECYCLE_ORDER


def test_envelope_before_and_after_success(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    response = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)
    assert response.json() == {
        "code": "success",
        "message": "",
        "data": {"error": None, "format": "mp4", "metadata": None, "status": "queued", "task_id": task_id, "url": ""},
    }
    run_to_end(client, task_id)
    data = fetch(client, task_id)
    assert list(data) == ["error", "format", "metadata", "status", "task_id", "url"]
    assert data["status"] == "succeeded" and data["error"] is None and data["metadata"] is None
    assert data["url"].startswith("http://testserver/__media/crazyrouter/task-artifacts/2026/01/01/generate/")
    assert f"/{task_id}.mp4?" in data["url"]


def test_url_is_stable_across_polls(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    run_to_end(client, task_id)
    first = fetch(client, task_id)["url"]
    client.runtime.clock.advance(600)
    assert fetch(client, task_id)["url"] == first


def test_a_realistic_1080p_generation_takes_tens_of_seconds_to_minutes(client: ContractClient) -> None:
    durations = []
    for n in range(20):
        task_id = submit(client, prompt=f"cat {n}").json()["id"]
        schedule = client.get(f"/__admin/tasks/{task_id}").json()["schedule"]
        durations.append(schedule["phases"][-1]["until_seconds"])
    assert all(20 <= d <= 600 for d in durations), durations
    assert max(durations) - min(durations) > 5, "durations are drawn, not constant"


def test_ten_second_videos_take_longer_than_five(client: ContractClient) -> None:
    def total(duration: int) -> float:
        runs = []
        for n in range(15):
            task_id = submit(client, prompt=f"cat {n}", duration=duration).json()["id"]
            runs.append(client.get(f"/__admin/tasks/{task_id}").json()["schedule"]["phases"][-1]["until_seconds"])
        return float(sum(runs) / len(runs))

    assert total(10) > total(5) * 1.4


def test_timings_can_be_overridden_per_run() -> None:
    options = {"crazyrouter": {"timings": {"queued": 2, "processing": {"polls": 3}}}}
    with make_client(provider_options=options) as client:
        task_id = submit(client, prompt="a cat").json()["id"]
        client.runtime.clock.advance(2)
        assert [fetch(client, task_id)["status"] for _ in range(4)] == ["processing"] * 3 + ["succeeded"]


@pytest.mark.parametrize("frames", [100, 1, 120, 361])
def test_unsupported_frames_are_accepted_then_fail_in_the_pipeline(client: ContractClient, frames: int) -> None:
    response = submit(client, prompt="a cat", frames=frames)
    assert response.status_code == 200
    task_id = response.json()["id"]
    seen = run_to_end(client, task_id, step=1)
    assert seen[0] == "queued" and seen[-1] == "failed" and "processing" in seen
    data = fetch(client, task_id)
    assert data["url"] == ""
    assert data["error"]["code"] == 400
    assert f"frames={frames}" in data["error"]["message"]


@pytest.mark.parametrize("task_id", ["123", "2526913314163451526", "not-a-number", "x" * 300])
def test_unknown_task_id(client: ContractClient, task_id: str) -> None:
    response = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {"code": "task_not_exist", "message": "task_not_exist", "data": None}


def test_tasks_are_dropped_after_their_lifetime() -> None:
    with make_client(provider_options={"crazyrouter": {"task_ttl": 3600}}) as client:
        old = submit(client, prompt="a cat").json()["id"]
        client.runtime.clock.advance(3599)
        assert fetch(client, old)["task_id"] == old
        client.runtime.clock.advance(1)
        response = client.get(f"/crazyrouter/jimeng/fetch/{old}", headers=AUTH)
        assert response.json()["code"] == "task_not_exist"
        submit(client, prompt="another")
        assert len(client.runtime.store) == 1


def test_default_task_lifetime_is_seven_days(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    client.runtime.clock.advance(7 * 86400 - 1)
    assert fetch(client, task_id)["status"] == "succeeded"
    client.runtime.clock.advance(1)
    assert client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH).status_code == 400


def test_unknown_route_and_wrong_method_get_invalid_url(client: ContractClient) -> None:
    for method, path in [
        ("GET", "/crazyrouter/jimeng/submit/videos"),
        ("POST", "/crazyrouter/jimeng/fetch/1"),
        ("GET", "/crazyrouter/v1/videos"),
        ("DELETE", "/crazyrouter/jimeng/fetch/1"),
    ]:
        response = client.request(method, path, headers=AUTH)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["message"].startswith(f"Invalid URL ({method} {path})")


def test_every_response_carries_a_request_id(client: ContractClient) -> None:
    ids = {
        client.post(
            "/crazyrouter/jimeng/submit/videos", json={"model": "jimeng-video-3.0", "prompt": "a"}, headers=AUTH
        ).headers["x-oneapi-request-id"],
        client.get("/crazyrouter/jimeng/fetch/1", headers=AUTH).headers["x-oneapi-request-id"],
        client.get("/crazyrouter/jimeng/fetch/1").headers["x-oneapi-request-id"],
    }
    assert len(ids) == 3
    assert all(i.startswith("20260101") for i in ids)


def test_a_finished_tasks_url_is_kept_with_it_per_address_it_was_asked_from() -> None:
    client = make_client()
    task_id = submit(client, prompt="a cat").json()["task_id"]
    run_to_end(client, task_id)
    first, again = fetch(client, task_id)["url"], fetch(client, task_id)["url"]
    assert first == again and first.startswith("http://testserver/__media/crazyrouter/")
    other = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers={**AUTH, "Host": "mock.internal:9000"})
    assert other.json()["data"]["url"].startswith("http://mock.internal:9000/__media/crazyrouter/")
    task = client.runtime.engine.store.get(task_id, client.runtime.clock.now())
    assert task is not None and task.derived is not None and "derived" not in task.to_dict()
    assert client.get(first.removeprefix("http://testserver")).status_code == 200


def test_a_kept_url_follows_its_scenario_when_the_scenario_is_redefined() -> None:
    client = make_client()
    client.runtime.scenarios.register(parse("description: x\nresult:\n  ttl: 60\n", "short-lived"))
    task_id = client.post(
        "/crazyrouter/jimeng/submit/videos",
        json={"model": "jimeng-video-3.0", "prompt": "a cat"},
        headers={**AUTH, "X-Mock-Scenario": "short-lived"},
    ).json()["task_id"]
    run_to_end(client, task_id)
    short = fetch(client, task_id)["url"]
    client.runtime.scenarios.register(parse("description: x\nresult:\n  ttl: 7200\n", "short-lived"))
    longer = fetch(client, task_id)["url"]
    assert _expires(longer) - _expires(short) == 7200 - 60


def test_what_a_task_keeps_stays_bounded_however_many_addresses_ask() -> None:
    client = make_client()
    task_id = submit(client, prompt="a cat").json()["task_id"]
    run_to_end(client, task_id)
    for port in range(40):
        host = f"mock{port}.internal:9000"
        answer = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers={**AUTH, "Host": host})
        assert answer.json()["data"]["url"].startswith(f"http://{host}/__media/")
    task = client.runtime.engine.store.get(task_id, client.runtime.clock.now())
    assert task is not None and task.derived is not None and 0 < len(task.derived) <= DERIVED_LIMIT


def _expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["expires"][0])
