"""GET /v1/tasks/{id} and /result, lifecycles on the virtual clock, the two-slot queue. (Scripted failures:
tests/scenarios/test_library_jimeng2api.py.)"""

from __future__ import annotations

import base64

import pytest

from tests.gateways.jimeng2api.helpers import (
    ADMIN,
    BASE,
    SESSION,
    bearer,
    error_of,
    image,
    run_to_end,
    submitted,
    task,
    video,
    video_facts,
)
from tests.support import ContractClient


def test_unknown_task_is_404_task_not_found(client: ContractClient) -> None:
    for path in ("/v1/tasks/nope", "/v1/tasks/nope/result"):
        response = client.get(f"{BASE}{path}", headers=SESSION)
        assert response.status_code == 404
        assert error_of(response) == {
            "message": "Task nope not found",
            "type": "invalid_request_error",
            "param": "id",
            "code": "task_not_found",
        }


def test_task_routes_without_a_key_are_the_api_keys_401(client: ContractClient) -> None:
    task_id = submitted(image(client, prompt="x"))
    for path in (f"{BASE}/v1/tasks/{task_id}", f"{BASE}/v1/tasks/{task_id}/result"):
        response = client.get(path)  # no Authorization header: no header validation on these routes
        assert response.status_code == 401
        assert error_of(response) == {
            "message": "缺少 API Key，请使用 Authorization: Bearer <api_key>",
            "type": "authentication_error",
            "param": None,
            "code": "invalid_api_key",
        }
    assert client.get(f"{BASE}/v1/tasks/{task_id}", headers={"Authorization": "Basic x"}).status_code == 401


def test_a_task_of_another_api_key_is_not_found(client: ContractClient) -> None:
    secret = client.post(f"{BASE}/admin/api/api-keys", json={"name": "a"}, headers=ADMIN).json()["secret"]
    task_id = submitted(image(client, bearer(secret), prompt="x"))
    assert task(client, task_id, bearer(secret))["api_key_id"] is not None
    assert client.get(f"{BASE}/v1/tasks/{task_id}", headers=SESSION).status_code == 404


def test_video_lifecycle_from_submit_to_url_expiry(client: ContractClient) -> None:
    clock = client.runtime.clock
    task_id = submitted(
        video(client, model="jimeng-video-3.0", prompt="a lion", ratio="16:9", resolution="1080p", duration=10)
    )
    running = task(client, task_id)
    assert running["status"] == "running" and "result" not in running and "error" not in running
    pending = client.get(f"{BASE}/v1/tasks/{task_id}/result", headers=SESSION).json()
    assert pending["status"] == "running"  # the task object until it succeeds
    seen = {running["status"]}
    body = running
    while body["status"] != "succeeded":
        clock.advance(10)
        body = task(client, task_id)
        seen.add(body["status"])
        assert "result" not in body or body["status"] == "succeeded"
    assert seen == {"running", "succeeded"}
    assert body["updated"] > body["created"]
    result = client.get(f"{BASE}/v1/tasks/{task_id}/result", headers=SESSION).json()
    assert result == body["result"]
    assert result["created"] == body["updated"]
    assert result["data"][0]["revised_prompt"] == "a lion"
    url = result["data"][0]["url"]
    width, height, seconds = video_facts(client.get(url).content)
    assert (width, height) == (1920, 1080)
    assert seconds == pytest.approx(241 / 24, abs=1e-3)
    clock.advance(86400 - 1 - (clock.now() - result["created"]))
    assert client.get(url).status_code == 200
    clock.advance(1)
    expired = client.get(url)
    assert expired.status_code == 403 and "Request has expired" in expired.text


def test_video_b64_json_is_the_mp4(client: ContractClient) -> None:
    done = run_to_end(client, submitted(video(client, prompt="x", response_format="b64_json", ratio="9:16")))
    item = done["result"]["data"][0]
    assert set(item) == {"b64_json", "revised_prompt"}
    assert video_facts(base64.b64decode(item["b64_json"]))[:2] == (720, 1280)


def test_a_finished_task_keeps_its_answer_unless_it_inlines_its_media(client: ContractClient) -> None:
    inline = submitted(video(client, prompt="x", response_format="b64_json"))
    linked = submitted(video(client, prompt="x"))
    for task_id in (inline, linked):
        run_to_end(client, task_id)
        assert task(client, task_id) == task(client, task_id)
    store, now = client.runtime.engine.store, client.runtime.clock.now()
    kept = {task_id: getattr(store.get(task_id, now), "derived", None) or {} for task_id in (inline, linked)}
    assert kept[inline] == {} and len(kept[linked]) >= 1


def test_failure_lifecycle_on_the_virtual_clock(client: ContractClient) -> None:
    headers = SESSION | {"X-Mock-Scenario": "jimeng2api_fail_code_2038"}
    task_id = submitted(client.post(f"{BASE}/v1/videos/generations", json={"prompt": "x"}, headers=headers))
    assert task(client, task_id)["status"] == "running"
    failed = run_to_end(client, task_id)
    assert failed["error"] == {"message": "视频生成失败，状态码: 30，错误码: 2038", "type": "api_error", "code": -2008}
    assert "result" not in failed
    assert client.get(f"{BASE}/v1/tasks/{task_id}/result", headers=SESSION).json() == failed
    client.runtime.clock.advance(3600)
    assert task(client, task_id) == failed


def test_the_old_mock_error_header_is_gone(client: ContractClient) -> None:
    task_id = submitted(image(client, SESSION | {"X-Mock-Error": "2038"}, prompt="x"))
    assert run_to_end(client, task_id)["status"] == "succeeded"


def test_a_queue_of_five_runs_two_at_a_time_first_in_first_out(client: ContractClient) -> None:
    clock = client.runtime.clock
    ids = [submitted(video(client, prompt=f"clip {n}")) for n in range(5)]
    history: list[list[str]] = []
    started: list[str] = []
    while True:
        states = [task(client, task_id)["status"] for task_id in ids]
        history.append(states)
        assert states.count("running") <= 2
        for task_id, state in zip(ids, states, strict=True):
            if state != "queued" and task_id not in started:
                started.append(task_id)
        if all(state == "succeeded" for state in states):
            break
        clock.advance(1)
    assert history[0] == ["running", "running", "queued", "queued", "queued"]
    assert started == ids  # first in, first out
    assert any(states.count("running") == 2 and "queued" in states for states in history[1:])


def test_updated_moves_with_each_transition(client: ContractClient) -> None:
    first, second, third = (submitted(image(client, prompt=f"{n}")) for n in range(3))
    queued = task(client, third)
    assert (queued["status"], queued["updated"]) == ("queued", queued["created"])
    run_to_end(client, first)
    run_to_end(client, second)
    body = run_to_end(client, third)
    assert body["updated"] > body["created"]
