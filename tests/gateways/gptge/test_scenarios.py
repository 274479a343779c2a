"""Every scenario of the bundled library, driven through api.gpt.ge on the virtual clock and answered in the
Volcengine envelope. (The gptge_<code> scenarios are in tests/gptge/test_business_errors.py.)"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from mockserver.scenarios import ScenarioLibrary
from tests.gateways.gptge.helpers import BASE, T2V, data_of, poll, run_to_end, task_id_of
from tests.support import AUTH, ContractClient, make_client

FAILED_DATA: dict[str, Any] = {
    "binary_data_base64": [],
    "image_urls": None,
    "resp_data": "",
    "status": "done",
    "video_url": "",
}
GENERIC_TESTED = {
    "default",
    "cdn_lag",
    "credits_exhausted",
    "flaky_polls",
    "image_moderation",
    "input_moderation",
    "instant",
    "internal_error",
    "late_status",
    "moderation_fail",
    "no_url",
    "poll_driven",
    "rate_limited",
    "rate_limited_polls",
    "stuck_processing",
    "stuck_queue",
    "third_poll_503",
    "timeout_no_result",
    "url_expires_early",
}


def submit_with(client: ContractClient, scenario: str, **body: Any) -> httpx2.Response:
    body = {"prompt": "a cat", **body}
    return client.post(T2V, json=body, headers={**AUTH, "X-Mock-Scenario": scenario})


def envelope_of(response: httpx2.Response) -> tuple[int, int, str, Any]:
    body = response.json()
    assert body["status"] == body["code"]
    return response.status_code, body["code"], body["message"], body["data"]


def test_every_generic_scenario_is_driven_here() -> None:
    library = ScenarioLibrary.load().all()
    assert {s.name for s in library if s.providers is None} == GENERIC_TESTED


@pytest.mark.parametrize(
    ("scenario", "status", "code", "message"),
    [
        ("input_moderation", 400, 50412, "Text Risk Not Pass"),
        ("image_moderation", 400, 50411, "Pre Img Risk Not Pass"),
        ("credits_exhausted", 401, 50400, "Access Denied"),
        ("rate_limited", 429, 50429, "Request Has Reached API Limit, Please Try Later"),
    ],
)
def test_refusals_at_submit(client: ContractClient, scenario: str, status: int, code: int, message: str) -> None:
    response = submit_with(client, scenario)
    assert envelope_of(response) == (status, code, message, None)
    assert response.headers.get("retry-after") == ("1" if status == 429 else None)
    assert client.get("/__admin/tasks").json()["total"] == 0


@pytest.mark.parametrize(
    ("scenario", "status", "code", "message", "progress"),
    [
        ("moderation_fail", 500, 50500, "Internal Error", 80),
        ("internal_error", 500, 50500, "Internal Error", 40),
        ("timeout_no_result", 500, 50501, "Internal RPC Error", 99),
    ],
)
def test_failures_during_generation(
    client: ContractClient, scenario: str, status: int, code: int, message: str, progress: int
) -> None:
    task_id = task_id_of(submit_with(client, scenario))
    seen = run_to_end(client, task_id, step=1)
    assert seen[0] == "in_queue" and "generating" in seen and seen[-1] == "done"
    assert envelope_of(poll(client, task_id)) == (status, code, message, FAILED_DATA)
    task = client.get(f"/__admin/tasks/{task_id}").json()
    assert (task["scenario"], task["progress"]) == (scenario, progress)


def test_a_failure_at_40_percent_ends_sooner_than_one_at_the_end() -> None:
    def seconds_to_done(scenario: str) -> int:
        with make_client(seed=3, provider_options={"gptge": {"timings": {"in_queue": 10, "generating": 100}}}) as c:
            task_id = task_id_of(submit_with(c, scenario))
            return len(run_to_end(c, task_id, step=1)) - 1

    assert seconds_to_done("internal_error") == 50  # 10 s queued + 39/98 of the 100 s generation
    assert seconds_to_done("gptge_50500") == 110


def test_rate_limited_polls_then_success(client: ContractClient) -> None:
    task_id = task_id_of(submit_with(client, "rate_limited_polls"))
    for _ in range(2):
        limited = poll(client, task_id)
        assert envelope_of(limited) == (429, 50429, "Request Has Reached API Limit, Please Try Later", None)
        assert limited.headers["retry-after"] == "2"
    assert data_of(client, task_id)["status"] == "in_queue"
    assert run_to_end(client, task_id)[-1] == "done"
    assert poll(client, task_id).json()["code"] == 10000


def test_third_poll_503(client: ContractClient) -> None:
    task_id = task_id_of(submit_with(client, "third_poll_503"))
    responses = [poll(client, task_id) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 503, 200, 200]
    assert envelope_of(responses[2]) == (503, 50500, "Internal Error", None)
    assert "retry-after" not in responses[2].headers


def test_flaky_polls_are_the_same_for_the_same_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with make_client(seed=seed) as client:
            task_id = task_id_of(submit_with(client, "flaky_polls"))
            return [poll(client, task_id).status_code for _ in range(60)]

    first = pattern(5)
    assert first == pattern(5)
    assert 3 <= first.count(502) <= 25, first
    assert set(first) == {200, 502}


def test_a_flaky_poll_answers_the_upstream_failure_in_the_envelope() -> None:
    with make_client(seed=5) as client:
        task_id = task_id_of(submit_with(client, "flaky_polls"))
        failed = next(r for r in (poll(client, task_id) for _ in range(60)) if r.status_code == 502)
        assert envelope_of(failed) == (502, 50501, "Internal RPC Error", None)


@pytest.mark.parametrize(("scenario", "state"), [("stuck_processing", "generating"), ("stuck_queue", "in_queue")])
def test_stuck_tasks_never_finish(client: ContractClient, scenario: str, state: str) -> None:
    task_id = task_id_of(submit_with(client, scenario))
    client.runtime.clock.advance(30)
    data_of(client, task_id)
    client.runtime.clock.advance(86400 - 31)
    assert data_of(client, task_id)["status"] == state
    client.runtime.clock.advance(1)
    assert data_of(client, task_id)["status"] == "expired"


def finished_url(client: ContractClient, scenario: str) -> str:
    task_id = task_id_of(submit_with(client, scenario))
    run_to_end(client, task_id, step=1)
    url: str = data_of(client, task_id)["video_url"]
    return url


def test_cdn_lag_404_then_200(client: ContractClient) -> None:
    url = finished_url(client, "cdn_lag")
    assert client.get(url).status_code == 404
    client.runtime.clock.advance(3)
    assert client.get(url).status_code == 200


def test_url_expires_early(client: ContractClient) -> None:
    url = finished_url(client, "url_expires_early")
    assert client.get(url).status_code == 200
    client.runtime.clock.advance(60)
    assert client.get(url).status_code == 403


def test_the_default_url_lives_an_hour(client: ContractClient) -> None:
    url = finished_url(client, "default")
    client.runtime.clock.advance(3500)
    assert client.get(url).status_code == 200
    client.runtime.clock.advance(100)
    assert client.get(url).status_code == 403


def test_no_url(client: ContractClient) -> None:
    task_id = task_id_of(submit_with(client, "no_url"))
    run_to_end(client, task_id)
    response = poll(client, task_id)
    assert response.json()["code"] == 10000
    data = response.json()["data"]
    assert (data["status"], data["video_url"]) == ("done", "")
    assert data["resp_data"].startswith("{")


def test_late_status_trails_by_30_seconds() -> None:
    options = {"gptge": {"timings": {"in_queue": 10, "generating": 20}}}
    with make_client(provider_options=options) as client:
        late = task_id_of(submit_with(client, "late_status"))
        on_time = task_id_of(client.post(T2V, json={"prompt": "a"}, headers=AUTH))
        client.runtime.clock.advance(30)
        assert (data_of(client, on_time)["status"], data_of(client, late)["status"]) == ("done", "in_queue")
        client.runtime.clock.advance(30)
        assert data_of(client, late)["status"] == "done"


def test_instant(client: ContractClient) -> None:
    task_id = task_id_of(submit_with(client, "instant"))
    data = data_of(client, task_id)
    assert data["status"] == "done" and data["video_url"]


def test_poll_driven(client: ContractClient) -> None:
    task_id = task_id_of(submit_with(client, "poll_driven"))
    statuses = [data_of(client, task_id)["status"] for _ in range(4)]
    assert statuses == ["in_queue", "generating", "generating", "done"]


def test_default_is_the_normal_run(client: ContractClient) -> None:
    task_id = task_id_of(submit_with(client, "default"))
    assert run_to_end(client, task_id)[-1] == "done"
    assert client.get(f"/__admin/tasks/{task_id}").json()["scenario"] == "default"


def test_the_server_default_scenario_applies_to_gptge(client: ContractClient) -> None:
    client.post("/__admin/scenarios/default", json={"name": "input_moderation"})
    response = client.post(T2V, json={"prompt": "a cat"}, headers=AUTH)
    assert envelope_of(response) == (400, 50412, "Text Risk Not Pass", None)


def test_an_api_key_mapping_selects_the_scenario() -> None:
    with make_client(scenario_keys={"sk-limited": "rate_limited"}) as client:
        response = client.post(T2V, json={"prompt": "a"}, headers={"Authorization": "Bearer sk-limited"})
        assert envelope_of(response)[:2] == (429, 50429)
        assert client.get(f"{BASE}/task/1", headers={"Authorization": "Bearer sk-limited"}).status_code == 200


@pytest.mark.parametrize(
    ("yaml", "poll_at", "status", "code"),
    [
        ("reject: no_such_error", None, 500, 50500),
        ("fail: {error: no_such_error}", "end", 500, 50500),
        ("polls: [{nth: 1, status: 599}]", 1, 599, 50500),
        ("polls: [{nth: 1, status: 429}]", 1, 429, 50429),
        ("polls: [{nth: 1, status: 500, error: gptge_nothing}]", 1, 500, 50500),
    ],
)
def test_references_the_catalogue_lacks_still_answer_in_the_envelope(
    client: ContractClient, yaml: str, poll_at: Any, status: int, code: int
) -> None:
    client.post("/__admin/scenarios", json={"name": "custom", "yaml": f"description: x\n{yaml}\n"})
    response = submit_with(client, "custom")
    if poll_at == "end":
        task_id = task_id_of(response)
        run_to_end(client, task_id)
        response = poll(client, task_id)
    elif poll_at == 1:
        response = poll(client, task_id_of(response))
    assert envelope_of(response)[:2] == (status, code)
