"""The pytest plugin with the other gateways: each speaks its own state names, and `TaskView.succeeded` says
whether a finished task succeeded. The README's "Other gateways" section quotes these tests."""

from __future__ import annotations

import httpx
import pytest
from openai import OpenAI

from mockserver import MockServer

AUTH = {"Authorization": "Bearer sk-test"}


def test_jimmyai_calls_success_completed(jimeng_mock: MockServer) -> None:
    base_url = jimeng_mock.url_for("jimmyai")
    body = {"model": "seedance2.0-std", "prompt": "a paper boat on a river"}
    created = httpx.post(f"{base_url}/api/open-api/v1/seedance/videos", json=body, headers=AUTH).json()
    task_id = created["data"]["task_id"]

    view = jimeng_mock.clock.advance_until(task_id, "completed")  # jimmyai's states: queued, processing, completed

    assert view.succeeded
    data = httpx.get(f"{base_url}/api/open-api/v1/videos/{task_id}", headers=AUTH).json()["data"]
    assert data["result"]["video_url"].startswith(jimeng_mock.url)


def test_gptge_is_done_whether_it_succeeded_or_failed(jimeng_mock: MockServer) -> None:
    jimeng_mock.use_scenario("gptge_50500")  # the task fails when its generation ends
    base_url = jimeng_mock.url_for("gptge")
    body = {"prompt": "a paper boat on a river"}
    task_id = httpx.post(f"{base_url}/task/jimeng/text2video", json=body, headers=AUTH).json()["data"]["task_id"]

    view = jimeng_mock.clock.advance_until(task_id, "done")  # gptge's one end state, for success and failure

    assert not view.succeeded  # `succeeded` tells them apart
    answer = httpx.get(f"{base_url}/task/{task_id}", headers=AUTH).json()
    assert (answer["data"]["status"], answer["code"]) == ("done", 50500)


@pytest.mark.filterwarnings("ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning")
@pytest.mark.jimeng_mock(scenario="octopusx_moderation")  # fails at 60 % with 2043
def test_octopusx_through_the_openai_sdk(jimeng_mock: MockServer) -> None:
    client = OpenAI(base_url=jimeng_mock.url_for("octopusx"), api_key="sk-test")  # .../octopusx/v1
    video = client.videos.create(model="jimeng-video-3.0", prompt="a paper boat on a river")

    view = jimeng_mock.clock.advance_until(video.id, "failed")  # OctopusX's: queued, in_progress, completed, failed

    assert not view.succeeded
    failed = client.videos.retrieve(video.id)
    assert failed.error is not None and failed.error.code == "2043"
