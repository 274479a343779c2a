"""Every scenario of the bundled library, driven through the jimmyai gateway on the virtual clock, answered
in jimmyai's envelope `{code, msg, data}` and its failed-task report (status failed, progress 0, error_message)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.gateways.jimmyai.table import CREATE, QUERY, minimal, query, run_to_end
from tests.support import AUTH, ContractClient, make_client

MODEL = "seedance2.0-std"
NUMERIC = {"jimmyai": {"success_code": 0}}
MSG_502 = "upstream unavailable: the generation service did not answer, retry later"


def create_with(client: ContractClient, scenario: str, **body: Any) -> httpx2.Response:
    return client.post(CREATE, json=minimal(MODEL, **body), headers={**AUTH, "X-Mock-Scenario": scenario})


def task_id_of(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    task_id: str = response.json()["data"]["task_id"]
    return task_id


def poll(client: ContractClient, task_id: str) -> httpx2.Response:
    return client.get(QUERY + task_id, headers=AUTH)


def admin_task(client: ContractClient, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = client.get(f"/__admin/tasks/{task_id}").json()
    return task


def test_every_scenario_for_jimmyai_is_tested(client: ContractClient) -> None:
    library = client.runtime.contexts["jimmyai"].scenarios
    applicable = {s.name for s in library.all() if s.applies_to("jimmyai")}
    assert applicable == TESTED
    assert {name for name in library.names() if name.startswith("jimmyai_")} == {
        name for name in TESTED if name.startswith("jimmyai_")
    }


@pytest.mark.parametrize(
    ("scenario", "error_message", "failed_at", "processed"),
    [
        (
            "moderation_fail",
            "OutputVideoSensitiveContentDetected: the generated video may contain sensitive content",
            80,
            True,
        ),
        ("timeout_no_result", "video generation timed out without a result", 99, True),
        ("internal_error", "Internal Error: the generation service failed, please retry", 40, True),
        ("jimmyai_failed", "video generation failed", 50, True),
        (
            "jimmyai_moderation",
            "InputTextSensitiveContentDetected: the prompt may contain sensitive content",
            0,
            False,
        ),
    ],
)
def test_failed_tasks_report_their_error_message(
    client: ContractClient, scenario: str, error_message: str, failed_at: int, processed: bool
) -> None:
    task_id = task_id_of(create_with(client, scenario))
    seen = run_to_end(client, task_id, step=1)
    assert ("processing" in [d["status"] for d in seen]) is processed
    assert max(d["progress"] for d in seen) <= failed_at
    failed = seen[-1]
    assert failed["status"] == "failed" and failed["error_message"] == error_message
    assert (failed["progress"], failed["result"], failed["completed_at"]) == (0, None, None)
    task = admin_task(client, task_id)
    assert (task["scenario"], task["progress"]) == (scenario, failed_at)


@pytest.mark.parametrize(
    ("scenario", "status", "code", "msg", "retry_after"),
    [
        (
            "input_moderation",
            400,
            "40010",
            "content moderation: the prompt may contain sensitive content (InputTextSensitiveContentDetected)",
            None,
        ),
        (
            "image_moderation",
            400,
            "40011",
            "content moderation: an input image may contain sensitive content (InputImageSensitiveContentDetected)",
            None,
        ),
        ("credits_exhausted", 402, "40200", "insufficient balance: please top up your account", None),
        ("jimmyai_insufficient_balance", 402, "40200", "insufficient balance: please top up your account", None),
        ("rate_limited", 429, "42900", "too many requests: rate limit exceeded, retry later", "1"),
        ("jimmyai_concurrency_limit", 429, "42901", "too many running tasks: wait for one to finish", "10"),
        ("jimmyai_key_expired", 401, "40100", "unauthorized: API key expired or revoked", None),
    ],
)
def test_refusals_at_create(
    client: ContractClient, scenario: str, status: int, code: str, msg: str, retry_after: str | None
) -> None:
    response = create_with(client, scenario)
    assert (response.status_code, response.json()) == (status, {"code": code, "msg": msg, "data": None})
    assert response.headers.get("retry-after") == retry_after
    assert client.get("/__admin/tasks").json()["total"] == 0


def test_scripted_errors_follow_the_numeric_success_code() -> None:
    with make_client(provider_options=NUMERIC) as client:
        refused = create_with(client, "jimmyai_insufficient_balance")
        assert (refused.status_code, refused.json()["code"]) == (402, 40200)
        task_id = create_with(client, "third_poll_503").json()["data"]["task_id"]
        assert [poll(client, task_id).json()["code"] for _ in range(3)] == [0, 0, 50300]
        failing = create_with(client, "jimmyai_failed").json()["data"]["task_id"]
        seen = run_to_end(client, failing)
        assert seen[-1]["error_message"] == "video generation failed"


def test_rate_limited_polls_then_success(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "rate_limited_polls"))
    for _ in range(2):
        limited = poll(client, task_id)
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
        assert limited.json() == {
            "code": "42900",
            "msg": "too many requests: rate limit exceeded, retry later",
            "data": None,
        }
    assert poll(client, task_id).status_code == 200
    assert run_to_end(client, task_id)[-1]["status"] == "completed"


def test_third_poll_503(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "third_poll_503"))
    answers = [poll(client, task_id) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 503, 200, 200]
    assert answers[2].json() == {"code": "50300", "msg": "service unavailable (HTTP 503)", "data": None}
    assert "retry-after" not in answers[2].headers


def test_flaky_polls_are_the_same_for_the_same_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with make_client(seed=seed) as client:
            task_id = task_id_of(create_with(client, "flaky_polls"))
            answers = [poll(client, task_id) for _ in range(60)]
            failed = [a.json() for a in answers if a.status_code == 502]
            assert all(body["code"] == "50200" and body["data"] is None for body in failed)
            return [a.status_code for a in answers]

    first = pattern(5)
    assert first == pattern(5)
    assert 3 <= first.count(502) <= 25, first
    assert set(first) == {200, 502}


@pytest.mark.parametrize(("scenario", "state"), [("stuck_processing", "processing"), ("stuck_queue", "queued")])
def test_stuck_tasks_never_finish(client: ContractClient, scenario: str, state: str) -> None:
    task_id = task_id_of(create_with(client, scenario))
    client.runtime.clock.advance(30)
    query(client, task_id)
    client.runtime.clock.advance(6 * 86400)
    data = query(client, task_id)
    assert (data["status"], data["result"], data["error_message"]) == (state, None, None)


def test_cdn_lag_404_then_200(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "cdn_lag"))
    run_to_end(client, task_id, step=1)
    url = query(client, task_id)["result"]["video_url"]
    assert client.get(url).status_code == 404
    client.runtime.clock.advance(3)
    assert client.get(url).status_code == 200


def test_url_expires_early(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "url_expires_early"))
    run_to_end(client, task_id, step=1)
    url = query(client, task_id)["result"]["video_url"]
    assert client.get(url).status_code == 200
    client.runtime.clock.advance(60)
    assert client.get(url).status_code == 403


def test_no_url(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "no_url"))
    done = run_to_end(client, task_id)[-1]
    assert (done["status"], done["progress"], done["error_message"]) == ("completed", 100, None)
    assert done["result"] == {"video_url": "", "image_url": None}


def test_late_status_trails_by_30_seconds() -> None:
    options = {"jimmyai": {"timings": {"queued": 10, "processing": 20}}}
    with make_client(provider_options=options) as client:
        late = task_id_of(create_with(client, "late_status"))
        on_time = task_id_of(client.post(CREATE, json=minimal(MODEL), headers=AUTH))
        client.runtime.clock.advance(30)
        assert (query(client, on_time)["status"], query(client, late)["status"]) == ("completed", "queued")
        client.runtime.clock.advance(30)
        assert query(client, late)["status"] == "completed"


def test_instant(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "instant"))
    assert query(client, task_id)["status"] == "completed"


def test_poll_driven(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "poll_driven"))
    statuses = [query(client, task_id)["status"] for _ in range(4)]
    assert statuses == ["queued", "processing", "processing", "completed"]


def test_default_is_the_normal_run(client: ContractClient) -> None:
    task_id = task_id_of(create_with(client, "default"))
    assert run_to_end(client, task_id)[-1]["status"] == "completed"


def test_prompt_tag_selects_and_is_removed(client: ContractClient) -> None:
    body = minimal(MODEL, prompt="a red fox [[mock:jimmyai_failed]] in snow")
    task_id = task_id_of(client.post(CREATE, json=body, headers=AUTH))
    task = admin_task(client, task_id)
    assert (task["scenario"], task["request"]["prompt"]) == ("jimmyai_failed", "a red fox in snow")
    assert run_to_end(client, task_id)[-1]["status"] == "failed"


def test_a_prompt_that_is_only_a_tag_is_empty(client: ContractClient) -> None:
    response = client.post(CREATE, json=minimal(MODEL, prompt="[[mock:instant]]"), headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {"code": "40000", "msg": "prompt must be non-empty text, not ''", "data": None}


def test_api_key_mapping_selects_a_scenario() -> None:
    with make_client(scenario_keys={"sk-broke": "jimmyai_insufficient_balance"}) as client:
        response = client.post(CREATE, json=minimal(MODEL), headers={"Authorization": "Bearer sk-broke"})
        assert (response.status_code, response.json()["code"]) == (402, "40200")


def test_unknown_scenario_is_a_parameter_error(client: ContractClient) -> None:
    response = create_with(client, "no_such_scenario")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "40000" and body["msg"].startswith("unknown mock scenario 'no_such_scenario'")


def test_a_scenario_of_another_gateway_is_refused(client: ContractClient) -> None:
    yaml = "description: crazyrouter only\nproviders: [crazyrouter]\nstuck: queued\n"
    assert client.post("/__admin/scenarios", json={"name": "cr_only", "yaml": yaml}).status_code in (200, 201)
    response = create_with(client, "cr_only")
    assert response.status_code == 400
    assert response.json()["msg"] == "mock scenario 'cr_only' (from X-Mock-Scenario) does not apply to jimmyai"


TESTED = {
    "default",
    "moderation_fail",
    "timeout_no_result",
    "internal_error",
    "jimmyai_failed",
    "jimmyai_moderation",
    "input_moderation",
    "image_moderation",
    "credits_exhausted",
    "jimmyai_insufficient_balance",
    "rate_limited",
    "jimmyai_concurrency_limit",
    "jimmyai_key_expired",
    "rate_limited_polls",
    "third_poll_503",
    "flaky_polls",
    "stuck_processing",
    "stuck_queue",
    "cdn_lag",
    "url_expires_early",
    "no_url",
    "late_status",
    "instant",
    "poll_driven",
}


@pytest.mark.parametrize(
    ("yaml", "status", "body"),
    [
        ("reject: session_expired", 401, {"code": "40100", "msg": "unauthorized: API key expired or revoked"}),
        ("reject: internal_error", 500, {"code": "50000", "msg": "internal error: please retry later"}),
        ("reject: upstream_unavailable", 502, {"code": "50200", "msg": MSG_502}),
        ("polls: [{nth: 1, status: 599}]", 599, {"code": "59900", "msg": "error (HTTP 599)"}),
    ],
)
def test_custom_scenarios_reach_the_catalogue_by_kind(
    client: ContractClient, yaml: str, status: int, body: dict[str, Any]
) -> None:
    document = f"description: custom\nproviders: [jimmyai]\n{yaml}\n"
    assert client.post("/__admin/scenarios", json={"name": "custom", "yaml": document}).status_code in (200, 201)
    response = create_with(client, "custom")
    if response.status_code == 200:
        response = poll(client, response.json()["data"]["task_id"])
    assert (response.status_code, response.json()) == (status, body | {"data": None})
