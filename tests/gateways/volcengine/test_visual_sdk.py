"""The official Volcengine Python SDK, unchanged, against a served mock: `VisualService` signs every request
(signature V4, the machine's time in X-Date) and the mock, on a virtual clock, checks it.

The SDK signs the path `/` and its Host with the port, so the mock serves the gateway at the root (`--provider
volcengine`). It raises on any answer other than HTTP 200, with the body's bytes in the message.
"""

from __future__ import annotations

import ast
import io
import json
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest
from volcengine.auth.SignerV4 import SignerV4
from volcengine.visual.VisualService import VisualService

from mockserver.core.volc_v4 import default_key_pair
from mockserver.testing import MockServer

SEED = 11
T2V = "jimeng_t2v_v30"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(providers=["volcengine"], seed=SEED, root_provider="volcengine") as mock:
        yield mock


@pytest.fixture
def visual(server: MockServer) -> VisualService:
    server.reset()
    pair = server.volcengine_key_pair
    assert pair == default_key_pair(SEED)
    service = VisualService()
    service.set_host(server.url.removeprefix("http://"))
    service.set_scheme("http")
    service.set_ak(pair.access_key)
    service.set_sk(pair.secret_key)
    return service


def refusal(error: pytest.ExceptionInfo[Exception]) -> dict[str, Any]:
    """The answer body the SDK puts in its exception (`str(bytes)` of the body)."""
    body: dict[str, Any] = json.loads(ast.literal_eval(str(error.value)))
    return body


def test_submit_poll_to_done_and_download_the_video(visual: VisualService, server: MockServer) -> None:
    submitted = visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "一只橘猫在窗边打哈欠", "frames": 241})
    assert submitted["code"] == submitted["status"] == 10000 and submitted["message"] == "Success"
    task_id = submitted["data"]["task_id"]
    seen = []
    for _ in range(40):
        result = visual.cv_sync2async_get_result({"req_key": T2V, "task_id": task_id})
        assert result["code"] == 10000
        seen.append(result["data"]["status"])
        if seen[-1] == "done":
            break
        server.clock.advance(10)
    assert seen[0] == "in_queue" and "generating" in seen and seen[-1] == "done"
    assert seen.index("generating") > 0 and seen[-1] == "done"
    video_url = result["data"]["video_url"]
    assert json.loads(result["data"]["resp_data"])["infer_ctx"]["frames"] == 241
    download = httpx.get(video_url)
    assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(download.content), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height, stream.frames) == (1280, 720, 241)
    server.clock.advance(3600)  # the URL lives an hour
    assert httpx.get(video_url).status_code in (403, 404, 410)


def test_a_wrong_secret_is_signature_does_not_match(visual: VisualService) -> None:
    visual.set_sk("not-the-secret")
    with pytest.raises(Exception) as refused:
        visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "a cat"})
    metadata = refusal(refused)["ResponseMetadata"]
    assert metadata["Error"] == {
        "CodeN": 100010,
        "Code": "SignatureDoesNotMatch",
        "Message": (
            "The request signature we calculated does not match the signature you provided. Check your Secret "
            "Access Key and signing method. Consult the service documentation for details."
        ),
    }
    assert (metadata["Action"], metadata["Version"], metadata["Service"], metadata["Region"]) == (
        "CVSync2AsyncSubmitTask",
        "2022-08-31",
        "cv",
        "cn-north-1",
    )


def test_an_unknown_access_key_is_invalid_access_key(visual: VisualService) -> None:
    visual.set_ak("AKLTunknown")
    with pytest.raises(Exception) as refused:
        visual.cv_sync2async_get_result({"req_key": T2V, "task_id": "1"})
    error = refusal(refused)["ResponseMetadata"]["Error"]
    assert (error["Code"], error["CodeN"]) == ("InvalidAccessKey", 100009)
    assert error["Message"] == "The accesskey [AKLTunknown] included in the request is invalid."


def test_a_date_far_from_the_machines_and_the_mocks_time_is_invalid_timestamp(
    visual: VisualService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SignerV4, "get_current_format_date", staticmethod(lambda: "20240101T000000Z"))
    with pytest.raises(Exception) as refused:
        visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "a cat"})
    assert refusal(refused)["ResponseMetadata"]["Error"]["Code"] == "InvalidTimestamp"


def test_the_virtual_clock_far_from_the_machines_time_still_accepts_the_sdk(
    visual: VisualService, server: MockServer
) -> None:
    server.clock.advance(30 * 86400)
    assert visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "a cat"})["code"] == 10000


def test_cancel_takes_a_queued_task_only(visual: VisualService, server: MockServer) -> None:
    queued = visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "a cat"})["data"]["task_id"]
    cancelled = visual.cv_cancel_task({"req_key": T2V, "task_id": queued})
    assert cancelled["code"] == 10000 and cancelled["data"] is None
    gone = visual.cv_sync2async_get_result({"req_key": T2V, "task_id": queued})
    assert gone["data"]["status"] == "not_found"

    started = visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "a dog"})["data"]["task_id"]
    server.clock.advance_until(started, "generating")
    with pytest.raises(Exception) as refused:
        visual.cv_cancel_task({"req_key": T2V, "task_id": started})
    body = refusal(refused)
    assert body["code"] == body["status"] == 50215 and "cannot be cancelled" in body["message"]
    still = visual.cv_sync2async_get_result({"req_key": T2V, "task_id": started})
    assert still["data"]["status"] == "generating"


def test_pre_moderation_refuses_the_submit_through_a_prompt_tag(visual: VisualService) -> None:
    with pytest.raises(Exception) as refused:
        visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "[[mock:volcengine_50412]] a cat"})
    body = refusal(refused)
    assert (body["code"], body["status"], body["message"], body["data"]) == (50412, 50412, "Text Risk Not Pass", None)


def test_post_moderation_fails_the_task_at_get_result(visual: VisualService, server: MockServer) -> None:
    task_id = visual.cv_sync2async_submit_task({"req_key": T2V, "prompt": "[[mock:volcengine_50516]] a cat"})["data"][
        "task_id"
    ]
    assert visual.cv_sync2async_get_result({"req_key": T2V, "task_id": task_id})["data"]["status"] == "in_queue"
    server.clock.advance(3600)
    with pytest.raises(Exception) as refused:
        visual.cv_sync2async_get_result({"req_key": T2V, "task_id": task_id})
    body = refusal(refused)
    assert (body["code"], body["message"]) == (50516, "Post Video Risk Not Pass")
    assert body["data"]["status"] == "done" and body["data"]["video_url"] == ""


def test_the_mock_names_its_configured_pair() -> None:
    with MockServer(providers=["volcengine"], mode="asgi", api_keys=frozenset({"AKLTz|z-secret", "sk-x"})) as mock:
        assert str(mock.volcengine_key_pair) == "AKLTz|z-secret"
