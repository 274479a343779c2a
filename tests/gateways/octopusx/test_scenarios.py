"""Every scenario of the bundled library, driven through OctopusX over HTTP on the virtual clock: the OpenAI-style
`/v1/videos` routes and the unified `/v1/video/create` + `/v1/video/query` routes alike."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from mockserver.scenarios import ScenarioLibrary
from tests.gateways.octopusx.support import BASE, VIDEOS, create, error_body
from tests.support import AUTH, KEY, ContractClient, make_client

CREATE, QUERY = f"{BASE}/video/create", f"{BASE}/video/query"
FAMILIES = ["videos", "unified"]
DONE = {"videos": ("completed", "failed"), "unified": ("completed", "failed")}


def submit(client: ContractClient, family: str, scenario: str | None = None, prompt: str = "a cat") -> httpx2.Response:
    headers = {"X-Mock-Scenario": scenario} if scenario else {}
    if family == "videos":
        return create(client, headers=headers, prompt=prompt)
    body = {"model": "jimeng-video-3.0", "prompt": prompt, "images": []}
    return client.post(CREATE, json=body, headers={**AUTH, **headers})


def task_id(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return str(body.get("id") or body["task_id"])


def poll(client: ContractClient, family: str, task: str) -> httpx2.Response:
    if family == "videos":
        return client.get(f"{VIDEOS}/{task}", headers=AUTH)
    return client.get(QUERY, params={"id": task}, headers=AUTH)


def read(client: ContractClient, family: str, task: str) -> dict[str, Any]:
    response = poll(client, family, task)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def finish(client: ContractClient, family: str, task: str, step: float = 5.0) -> list[dict[str, Any]]:
    seen = [read(client, family, task)]
    while seen[-1]["status"] not in DONE[family]:
        assert len(seen) < 1000, f"{task} never finished"
        client.runtime.clock.advance(step)
        seen.append(read(client, family, task))
    return seen


def content(client: ContractClient, task: str) -> httpx2.Response:
    return client.get(f"{VIDEOS}/{task}/content", headers=AUTH)


def admin_task(client: ContractClient, task: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/__admin/tasks/{task}").json()
    return body


def failure(body: dict[str, Any], family: str) -> Any:
    return body["error"] if family == "videos" else body["fail_reason"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    ("scenario", "error", "progress"),
    [
        ("moderation_fail", {"code": "2043", "message": "视频生成结果未通过审核"}, 80),
        ("octopusx_moderation", {"code": "2043", "message": "视频生成结果未通过审核"}, 60),
        ("octopusx_content_filtered", {"code": "2038", "message": "输入的文字不符合平台规则"}, 1),
        ("internal_error", {"code": "50500", "message": "Internal Error"}, 40),
        ("timeout_no_result", {"code": "task_failed", "message": "任务执行失败"}, 99),
    ],
)
def test_failures_during_generation(
    client: ContractClient, family: str, scenario: str, error: dict[str, str], progress: int
) -> None:
    task = task_id(submit(client, family, scenario))
    seen = finish(client, family, task)
    failed = seen[-1]
    assert failed["status"] == "failed" and failed["progress"] == progress
    assert failure(failed, family) == (error if family == "videos" else error["message"])
    assert "video_url" not in failed
    assert admin_task(client, task)["scenario"] == scenario
    client.runtime.clock.advance(600)
    assert read(client, family, task) == failed


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    ("scenario", "status", "body"),
    [
        ("input_moderation", 400, {"code": "upstream_error", "message": "Text Risk Not Pass", "data": None}),
        ("image_moderation", 400, {"code": "upstream_error", "message": "Pre Img Risk Not Pass", "data": None}),
        ("credits_exhausted", 403, {"code": "quota_not_enough", "message": "user quota is not enough", "data": None}),
    ],
)
def test_refusals_at_submit(client: ContractClient, family: str, scenario: str, status: int, body: Any) -> None:
    assert error_body(submit(client, family, scenario), status) == body
    assert client.get("/__admin/tasks").json()["total"] == 0


@pytest.mark.parametrize("family", FAMILIES)
def test_rate_limited_submit_has_retry_after(client: ContractClient, family: str) -> None:
    response = submit(client, family, "rate_limited")
    error = error_body(response, 429)["error"]
    assert response.headers["retry-after"] == "1"
    assert error["message"].startswith("当前分组上游负载已饱和，请稍后再试 (request id: ")
    assert error["type"] == "new_api_error"


@pytest.mark.parametrize("family", FAMILIES)
def test_rate_limited_polls_then_success(client: ContractClient, family: str) -> None:
    task = task_id(submit(client, family, "rate_limited_polls"))
    for _ in range(2):
        limited = poll(client, family, task)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert limited.json()["error"]["message"].startswith("当前分组上游负载已饱和")
    assert finish(client, family, task)[-1]["status"] == "completed"


@pytest.mark.parametrize("family", FAMILIES)
def test_third_poll_503(client: ContractClient, family: str) -> None:
    task = task_id(submit(client, family, "third_poll_503"))
    responses = [poll(client, family, task) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 503, 200, 200]
    assert responses[2].json() == {"code": "mock_fault", "message": "scripted fault: HTTP 503", "data": None}


def test_flaky_polls_are_the_same_for_the_same_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with make_client(seed=seed) as client:
            task = task_id(submit(client, "videos", "flaky_polls"))
            responses = [poll(client, "videos", task) for _ in range(60)]
            failed = [r.json()["error"]["code"] for r in responses if r.status_code != 200]
            assert set(failed) <= {"bad_response_status_code"}
            return [r.status_code for r in responses]

    first = pattern(7)
    assert first == pattern(7)
    assert set(first) == {200, 502} and 3 <= first.count(502) <= 25, first


@pytest.mark.parametrize(
    ("scenario", "state", "unified_state"),
    [("stuck_processing", "in_progress", "processing"), ("stuck_queue", "queued", "processing")],
)
def test_stuck_tasks_never_finish(client: ContractClient, scenario: str, state: str, unified_state: str) -> None:
    video, unified = task_id(submit(client, "videos", scenario)), task_id(submit(client, "unified", scenario))
    client.runtime.clock.advance(30)
    assert read(client, "videos", video)["status"] == state
    client.runtime.clock.advance(6 * 86400)
    assert read(client, "videos", video)["status"] == state
    assert read(client, "videos", unified)["status"] == state
    assert read(client, "unified", unified)["status"] == unified_state


def test_cdn_lag_404_then_200(client: ContractClient) -> None:
    task = task_id(submit(client, "videos", "cdn_lag"))
    done = finish(client, "videos", task, step=1)[-1]
    thumbnail = read(client, "unified", task)["thumbnail"]
    assert client.get(done["video_url"]).status_code == 404 and client.get(thumbnail).status_code == 404
    lagging = error_body(content(client, task), 502)["error"]
    assert (lagging["code"], lagging["type"]) == ("content_unavailable", "server_error")
    client.runtime.clock.advance(3)
    assert client.get(done["video_url"]).status_code == 200 and client.get(thumbnail).status_code == 200
    assert content(client, task).status_code == 200


@pytest.mark.parametrize(("scenario", "ttl"), [("url_expires_early", 60), ("octopusx_content_expired", 30)])
def test_urls_expire_early(client: ContractClient, scenario: str, ttl: int) -> None:
    task = task_id(submit(client, "videos", scenario))
    done = finish(client, "videos", task, step=1)[-1]
    assert done["expires_at"] == done["completed_at"] + ttl
    assert client.get(done["video_url"]).status_code == 200 and content(client, task).status_code == 200
    client.runtime.clock.set(done["expires_at"])
    assert client.get(done["video_url"]).status_code == 403
    expired = error_body(content(client, task), 502)["error"]
    assert expired["code"] == "content_expired"
    assert expired["message"].startswith(f"Failed to fetch video content: the result expired at {done['expires_at']}")


def test_no_url(client: ContractClient) -> None:
    task = task_id(submit(client, "videos", "no_url"))
    done = finish(client, "videos", task)[-1]
    assert done["status"] == "completed" and done["progress"] == 100 and "completed_at" in done
    assert "video_url" not in done and "expires_at" not in done and "error" not in done
    unified = read(client, "unified", task)
    assert unified["status"] == "completed" and "video_url" not in unified and "thumbnail" not in unified
    missing = error_body(content(client, task), 502)["error"]
    assert missing["code"] == "content_unavailable" and "has no video URL" in missing["message"]


@pytest.mark.parametrize("family", FAMILIES)
def test_late_status_trails_by_30_seconds(family: str) -> None:
    options = {"octopusx": {"timings": {"queued": 10, "in_progress": 20}}}
    with make_client(provider_options=options) as client:
        late = task_id(submit(client, family, "late_status"))
        on_time = task_id(submit(client, family))
        client.runtime.clock.advance(30)
        assert read(client, family, on_time)["status"] == "completed"
        assert read(client, family, late)["status"] in ("queued", "processing")
        assert read(client, family, late)["progress"] == 0
        client.runtime.clock.advance(30)
        assert read(client, family, late)["status"] == "completed"


@pytest.mark.parametrize("family", FAMILIES)
def test_instant(client: ContractClient, family: str) -> None:
    task = task_id(submit(client, family, "instant"))
    assert read(client, family, task)["status"] == "completed"


@pytest.mark.parametrize(
    ("family", "states"),
    [
        ("videos", ["queued", "in_progress", "in_progress", "completed"]),
        ("unified", ["processing", "processing", "processing", "completed"]),
    ],
)
def test_poll_driven(client: ContractClient, family: str, states: list[str]) -> None:
    task = task_id(submit(client, family, "poll_driven"))
    seen = [read(client, family, task) for _ in range(4)]
    assert [body["status"] for body in seen] == states
    assert seen[0]["progress"] == 0 and 0 < seen[1]["progress"] <= seen[2]["progress"] < 100


@pytest.mark.parametrize("family", FAMILIES)
def test_default_is_the_normal_run(client: ContractClient, family: str) -> None:
    task = task_id(submit(client, family, "default"))
    assert finish(client, family, task)[-1]["status"] == "completed"


@pytest.mark.parametrize("family", FAMILIES)
def test_prompt_tag_selects_and_is_removed(client: ContractClient, family: str) -> None:
    task = task_id(submit(client, family, prompt="a cat [[mock:octopusx_moderation]] at dusk"))
    assert admin_task(client, task)["scenario"] == "octopusx_moderation"
    assert admin_task(client, task)["request"]["prompt"] == "a cat at dusk"
    assert finish(client, family, task)[-1]["progress"] == 60


@pytest.mark.parametrize("family", FAMILIES)
def test_a_lone_tag_leaves_no_prompt(client: ContractClient, family: str) -> None:
    message = error_body(submit(client, family, prompt="[[mock:instant]]"), 400)["message"]
    assert "'prompt' is a required property" in message


@pytest.mark.parametrize("family", FAMILIES)
def test_unknown_scenario_is_refused(client: ContractClient, family: str) -> None:
    body = error_body(submit(client, family, "chaos"), 400)
    assert body["code"] == "invalid_request" and body["message"].startswith("unknown mock scenario 'chaos'")


def test_octopusx_scenarios_belong_to_octopusx(client: ContractClient) -> None:
    body = {"model": "jimeng-video-3.0", "prompt": "a cat"}
    headers = {**AUTH, "X-Mock-Scenario": "octopusx_moderation"}
    refused = error_body(client.post("/crazyrouter/jimeng/submit/videos", json=body, headers=headers), 400)
    assert "does not apply to crazyrouter" in refused["message"]


def test_the_api_key_mapping_selects_a_scenario() -> None:
    with make_client(scenario_keys={KEY: "octopusx_content_filtered"}) as client:
        task = task_id(submit(client, "unified"))
        assert finish(client, "unified", task)[-1]["fail_reason"] == "输入的文字不符合平台规则"


COVERED = {
    "default", "moderation_fail", "octopusx_moderation", "octopusx_content_filtered", "internal_error",
    "timeout_no_result", "input_moderation", "image_moderation", "credits_exhausted", "rate_limited",
    "rate_limited_polls", "third_poll_503", "flaky_polls", "stuck_processing", "stuck_queue", "cdn_lag",
    "url_expires_early", "octopusx_content_expired", "no_url", "late_status", "instant", "poll_driven",
}  # fmt: skip


def test_every_scenario_for_octopusx_is_exercised_here() -> None:
    library = ScenarioLibrary.load()
    assert {s.name for s in library.all() if s.applies_to("octopusx")} == COVERED
