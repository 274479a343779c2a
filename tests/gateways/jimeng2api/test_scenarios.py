"""Every scenario of the bundled library, driven through the jimeng2api gateway on the virtual clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from tests.gateways.jimeng2api.helpers import (
    BASE,
    SESSION,
    composition,
    error_of,
    image,
    run_to_end,
    submitted,
    task,
    video,
)
from tests.support import ContractClient, make_client

Send = Callable[..., httpx2.Response]
SENDS: dict[str, tuple[Send, dict[str, Any]]] = {
    "video": (video, {}),
    "image": (image, {}),
    "composition": (composition, {"images": ["https://example.com/a.png"]}),
}


def submit_with(client: ContractClient, scenario: str, route: str = "video", **body: Any) -> httpx2.Response:
    send, extra = SENDS[route]
    return send(client, SESSION | {"X-Mock-Scenario": scenario}, **({"prompt": "a cat"} | extra | body))


def poll(client: ContractClient, task_id: str, path: str = "") -> httpx2.Response:
    return client.get(f"{BASE}/v1/tasks/{task_id}{path}", headers=SESSION)


def admin_task(client: ContractClient, task_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/__admin/tasks/{task_id}").json()
    return body


def failed_with(client: ContractClient, task_id: str, step: float = 5.0) -> dict[str, Any]:
    done = run_to_end(client, task_id, step=step)
    assert done["status"] == "failed" and "result" not in done
    error: dict[str, Any] = done["error"]
    return error


# -- refusals at submit: the server's FailureBody rendering of the error's errcode ---------------------------


@pytest.mark.parametrize("route", sorted(SENDS))
@pytest.mark.parametrize(
    ("scenario", "status", "error"),
    [
        (
            "input_moderation",
            403,
            {
                "message": "[内容违规]: 内容由于合规问题已被阻止生成",
                "type": "content_policy_error",
                "code": "content_filtered",
            },
        ),
        (
            "image_moderation",
            502,
            {"message": "视频生成失败，状态码: 30，错误码: 2039", "type": "api_error", "code": -2008},
        ),
        (
            "credits_exhausted",
            402,
            {
                "message": "[积分不足]: credit prededuct not enough",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            },
        ),
    ],
)
def test_refusals_at_submit(
    client: ContractClient, route: str, scenario: str, status: int, error: dict[str, Any]
) -> None:
    response = submit_with(client, scenario, route)
    assert response.status_code == status
    assert error_of(response) == error | {"param": None}
    assert "retry-after" not in response.headers
    assert client.get("/__admin/tasks").json()["total"] == 0


@pytest.mark.parametrize("route", sorted(SENDS))
def test_rate_limited_submit_has_retry_after(client: ContractClient, route: str) -> None:
    response = submit_with(client, "rate_limited", route)
    assert (response.status_code, response.headers["retry-after"]) == (429, "5")
    assert error_of(response) == {
        "message": "请求过于频繁，请稍后再试",
        "type": "api_error",
        "param": None,
        "code": "rate_limited",
    }


def test_a_refusal_comes_after_validation_and_the_key(client: ContractClient) -> None:
    assert submit_with(client, "credits_exhausted", prompt=7).status_code == 400
    no_key = client.post(
        f"{BASE}/v1/videos/generations", json={"prompt": "x"}, headers={"X-Mock-Scenario": "rate_limited"}
    )
    assert error_of(no_key)["param"] == "headers.authorization"


def test_unknown_scenarios_are_a_400_in_the_servers_body(client: ContractClient) -> None:
    response = submit_with(client, "gremlins")
    assert response.status_code == 400
    error = error_of(response)
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_request"
    assert "unknown mock scenario 'gremlins'" in error["message"] and "jimeng2api_content_filtered" in error["message"]
    yaml = "description: only there\nproviders: [crazyrouter]\nreject: rate_limited\n"
    assert client.post("/__admin/scenarios", json={"name": "elsewhere", "yaml": yaml}).status_code in (200, 201)
    other = submit_with(client, "elsewhere", "image")
    assert other.status_code == 400 and "does not apply to jimeng2api" in error_of(other)["message"]


def test_the_prompt_tag_picks_the_scenario_and_leaves_the_prompt(client: ContractClient) -> None:
    task_id = submitted(video(client, prompt="[[mock:instant]] a lion"))
    done = task(client, task_id)
    assert done["status"] == "succeeded" and done["result"]["data"][0]["revised_prompt"] == "a lion"
    tagged = submitted(image(client, prompt="a cat [[mock:jimeng2api_content_filtered]]"))
    assert failed_with(client, tagged)["code"] == -2006
    assert admin_task(client, tagged)["request"]["prompt"] == "a cat"


# -- poll faults, on both task routes ---------------------------------------------------------------------


def test_rate_limited_polls_then_success(client: ContractClient) -> None:
    task_id = submitted(submit_with(client, "rate_limited_polls"))
    for path in ("", "/result"):
        limited = poll(client, task_id, path)
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
        assert error_of(limited)["code"] == "rate_limited"
    assert poll(client, task_id, "/result").status_code == 200
    assert run_to_end(client, task_id)["status"] == "succeeded"


def test_third_poll_503(client: ContractClient) -> None:
    task_id = submitted(submit_with(client, "third_poll_503", "image"))
    answers = [poll(client, task_id, path) for path in ("", "/result", "", "/result", "")]
    assert [a.status_code for a in answers] == [200, 200, 503, 200, 200]
    assert error_of(answers[2]) == {
        "message": "scripted fault: HTTP 503",
        "type": "api_error",
        "param": None,
        "code": -1000,
    }


def test_flaky_polls_are_the_same_for_the_same_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with make_client(seed=seed) as client:
            task_id = submitted(submit_with(client, "flaky_polls"))
            answers = [poll(client, task_id) for _ in range(60)]
            failing = next(a for a in answers if a.status_code == 502)
            assert error_of(failing)["message"] == "timeout of 45000ms exceeded"
            return [a.status_code for a in answers]

    first = pattern(5)
    assert first == pattern(5)
    assert set(first) == {200, 502} and 3 <= first.count(502) <= 25, first


# -- timelines on the two-slot queue ----------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "state"), [("stuck_processing", "running"), ("stuck_queue", "queued")])
def test_stuck_tasks_never_finish(client: ContractClient, scenario: str, state: str) -> None:
    task_id = submitted(submit_with(client, scenario))
    client.runtime.clock.advance(30)
    assert task(client, task_id)["status"] == state
    client.runtime.clock.advance(6 * 86400)
    assert task(client, task_id)["status"] == state


def test_a_task_stuck_running_holds_its_slot_one_stuck_in_the_queue_does_not(client: ContractClient) -> None:
    waiting = submitted(submit_with(client, "stuck_queue"))
    stuck = [submitted(submit_with(client, "stuck_processing")) for _ in range(2)]
    behind = submitted(video(client, prompt="next"))
    client.runtime.clock.advance(86400)
    assert [task(client, t)["status"] for t in (waiting, *stuck, behind)] == ["queued", "running", "running", "queued"]


def test_a_failure_frees_its_slot_when_it_fails(client: ContractClient) -> None:
    failing = [submitted(submit_with(client, "jimeng2api_content_filtered")) for _ in range(2)]
    behind = submitted(video(client, prompt="next"))
    assert task(client, behind)["status"] == "queued"
    client.runtime.clock.advance(1)  # a failure found before generation still takes a round trip upstream
    assert [task(client, t)["status"] for t in failing] == ["failed", "failed"]
    assert task(client, behind)["status"] == "running"


def test_cdn_lag_404_then_200(client: ContractClient) -> None:
    done = run_to_end(client, submitted(submit_with(client, "cdn_lag")), step=1)
    url = done["result"]["data"][0]["url"]
    assert client.get(url).status_code == 404
    client.runtime.clock.advance(3)
    assert client.get(url).status_code == 200


def test_url_expires_early(client: ContractClient) -> None:
    done = run_to_end(client, submitted(submit_with(client, "url_expires_early", "image")), step=1)
    url = done["result"]["data"][0]["url"]
    assert client.get(url).status_code == 200
    client.runtime.clock.advance(60)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("route", "message"), [("video", "未能获取视频URL，请稍后查看"), ("image", "未能获取图片URL，请稍后查看")]
)
def test_no_url_is_the_servers_failure_when_generation_ends(client: ContractClient, route: str, message: str) -> None:
    task_id = submitted(submit_with(client, "no_url", route))
    assert failed_with(client, task_id) == {"message": message, "type": "api_error", "code": -2007}
    assert admin_task(client, task_id)["progress"] == 99


def test_late_status_trails_by_30_seconds() -> None:
    with make_client(provider_options={"jimeng2api": {"timings": {"running": 20}}}) as client:
        late = submitted(submit_with(client, "late_status"))
        on_time = submitted(video(client, prompt="a"))
        client.runtime.clock.advance(30)
        assert (task(client, on_time)["status"], task(client, late)["status"]) == ("succeeded", "running")
        client.runtime.clock.advance(30)
        assert task(client, late)["status"] == "succeeded"


@pytest.mark.parametrize(
    ("scenario", "route", "error", "progress"),
    [
        ("internal_error", "video", {"message": "[请求失败]: internal error (错误码: 1000)", "code": -2001}, 40),
        ("moderation_fail", "video", {"message": "视频生成失败，状态码: 30，错误码: 2043", "code": -2008}, 80),
        ("moderation_fail", "composition", {"message": "图像生成失败，状态码: 30，错误码: 2043", "code": -2007}, 80),
    ],
)
def test_failures_during_generation(
    client: ContractClient, scenario: str, route: str, error: dict[str, Any], progress: int
) -> None:
    task_id = submitted(submit_with(client, scenario, route))
    assert task(client, task_id)["status"] == "running"
    assert failed_with(client, task_id) == error | {"type": "api_error"}
    assert admin_task(client, task_id)["progress"] == progress
    assert poll(client, task_id, "/result").json()["error"] == error | {"type": "api_error"}


@pytest.mark.parametrize(("route", "budget"), [("video", 3600), ("image", 1800)])
def test_timeout_no_result_runs_for_the_poll_budget(client: ContractClient, route: str, budget: int) -> None:
    for scenario in ("timeout_no_result", "jimeng2api_timeout_no_result"):
        client.runtime.reset()
        task_id = submitted(submit_with(client, scenario, route))
        client.runtime.clock.advance(budget - 1)
        assert task(client, task_id)["status"] == "running"
        client.runtime.clock.advance(1)
        expected = {"message": "生成超时且无结果，状态码: 20", "type": "api_error", "code": -2007}
        assert task(client, task_id)["error"] == expected


def test_instant(client: ContractClient) -> None:
    task_id = submitted(submit_with(client, "instant", "composition"))
    assert task(client, task_id)["status"] == "succeeded"


def test_poll_driven(client: ContractClient) -> None:
    task_id = submitted(submit_with(client, "poll_driven"))
    assert [task(client, task_id)["status"] for _ in range(4)] == ["queued", "running", "running", "succeeded"]


def test_default_is_the_normal_run(client: ContractClient) -> None:
    task_id = submitted(submit_with(client, "default"))
    assert run_to_end(client, task_id)["status"] == "succeeded"
    assert admin_task(client, task_id)["scenario"] == "default"


# -- the jimeng2api scenarios: the task fails inside, as the real one does ------------------------------------

VIDEO_30 = "视频生成失败，状态码: 30，错误码: {}"
IMAGE_30 = "图像生成失败，状态码: 30，错误码: {}"
OWN: dict[str, tuple[tuple[str, int], tuple[str, int], int]] = {
    # scenario: ((video message, code), (image message, code), progress where it fails)
    "content_filtered": (("[内容违规]: 内容由于合规问题已被阻止生成", -2006),) * 2 + (1,),
    "insufficient_credit": (("[积分不足]: credit prededuct not enough", -2009),) * 2 + (1,),
    "session_expired": (("[登录失效]: login error。请重新获取refresh_token并更新配置", -2002),) * 2 + (1,),
    "risk_control": (("[请求失败]: 生成失败，疑似存在异常行为，请重新尝试 (错误码: 4013)", -2001),) * 2 + (1,),
    "upload_failed": (
        ("首帧图片上传失败: 图片上传网络请求失败 (tos-my216-share.vodupload.com): fetch failed", -2001),
        ("图片上传失败: 图片上传网络请求失败 (tos-my216-share.vodupload.com): fetch failed", -2001),
        1,
    ),
    "no_url": (("未能获取视频URL，请稍后查看", -2007), ("未能获取图片URL，请稍后查看", -2007), 99),
    "timeout_no_result": (("生成超时且无结果，状态码: 20", -2007),) * 2 + (99,),
    **{
        f"fail_code_{code}": ((VIDEO_30.format(code), -2008), (IMAGE_30.format(code), -2007), at)
        for code, at in (("2038", 50), ("2039", 50), ("2043", 99), ("2047", 30), ("1017", 50))
    },
}


def test_every_jimeng2api_scenario_is_tested(client: ContractClient) -> None:
    library = client.runtime.scenarios
    own = {name.removeprefix("jimeng2api_") for name in library.names() if name.startswith("jimeng2api_")}
    assert own == set(OWN)
    assert all(library.get(f"jimeng2api_{name}").providers == frozenset({"jimeng2api"}) for name in own)


@pytest.mark.parametrize("route", sorted(SENDS))
@pytest.mark.parametrize("name", sorted(OWN))
def test_jimeng2api_scenarios_fail_the_task(client: ContractClient, name: str, route: str) -> None:
    video_error, image_error, progress = OWN[name]
    message, code = video_error if route == "video" else image_error
    task_id = submitted(submit_with(client, f"jimeng2api_{name}", route))
    assert task(client, task_id)["status"] == "running"
    assert failed_with(client, task_id, step=60) == {"message": message, "type": "api_error", "code": code}
    stored = admin_task(client, task_id)
    assert (stored["scenario"], stored["progress"]) == (f"jimeng2api_{name}", progress)


def test_a_failure_before_generation_takes_one_second(client: ContractClient) -> None:
    task_id = submitted(submit_with(client, "jimeng2api_session_expired"))
    client.runtime.clock.advance(0.9)
    assert task(client, task_id)["status"] == "running"
    client.runtime.clock.advance(0.1)
    failed = task(client, task_id)
    assert failed["status"] == "failed" and failed["updated"] == failed["created"] + 1
    assert poll(client, task_id, "/result").json() == failed
