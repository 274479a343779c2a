"""The official OpenAI Python SDK against the mock: `OpenAI(base_url=".../octopusx/v1").videos`.

The SDK talks to the app through the contract-checking test client (an httpx2 client), so every
response it reads is also validated against contracts/octopusx.yaml. Its poll loop sleeps between
polls; the test replaces that sleep with an advance of the mock's virtual clock.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import openai
import pytest
from openai import OpenAI
from openai.types import Video
from PIL import Image

from tests.gateways.octopusx.support import image_bytes
from tests.support import KEY, ContractClient, make_client

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning")


@pytest.fixture
def mock() -> Iterator[ContractClient]:
    with make_client() as client:
        yield client


@pytest.fixture
def sdk(mock: ContractClient) -> OpenAI:
    return OpenAI(base_url="http://testserver/octopusx/v1", api_key=KEY, http_client=mock, max_retries=0)


@pytest.fixture
def sleeps(sdk: OpenAI, mock: ContractClient, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's poll sleeps, recorded and spent on the virtual clock instead of the wall clock."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        mock.runtime.clock.advance(seconds)

    monkeypatch.setattr(sdk.videos, "_sleep", sleep)
    return slept


def test_create_text_to_video(sdk: OpenAI, mock: ContractClient) -> None:
    video = sdk.videos.create(model="jimeng-video-3.0", prompt="猫咪在草地上追逐蝴蝶", seconds="5", size="1280x720")  # type: ignore[arg-type]
    assert isinstance(video, Video)
    assert video.id.startswith("video_") and video.object == "video"
    assert (video.model, video.status, video.progress) == ("jimeng-video-3.0", "queued", 0)
    assert video.created_at == int(mock.runtime.clock.now())
    request = mock.get(f"/__admin/tasks/{video.id}").json()["request"]
    assert (request["seconds"], request["size"], request["mode"]) == ("5", "1280x720", "text2video")


def test_create_with_input_reference(sdk: OpenAI, mock: ContractClient) -> None:
    video = sdk.videos.create(
        model="jimeng-video-2.0",
        prompt="让人物向前走并微笑",
        input_reference=("person.webp", image_bytes(fmt="WEBP"), "image/webp"),
    )
    assert video.status == "queued" and video.model == "jimeng-video-2.0"
    request = mock.get(f"/__admin/tasks/{video.id}").json()["request"]
    assert (request["mode"], request["seconds"], request["size"]) == ("image2video", "5", "720x1280")


def test_retrieve_returns_typed_videos(sdk: OpenAI, mock: ContractClient) -> None:
    video_id = sdk.videos.create(model="jimeng-video-3.0", prompt="a cat", seconds="10").id  # type: ignore[arg-type]
    queued = sdk.videos.retrieve(video_id)
    assert (queued.status, queued.seconds, queued.size, queued.completed_at) == ("queued", "10", "720x1280", None)
    mock.runtime.clock.advance(600)
    done = sdk.videos.retrieve(video_id)
    assert done.status == "completed" and done.progress == 100
    assert done.completed_at is not None and done.expires_at == done.completed_at + 3600
    assert done.error is None


def test_create_and_poll_on_the_virtual_clock(sdk: OpenAI, mock: ContractClient, sleeps: list[float]) -> None:
    start = mock.runtime.clock.now()
    video = sdk.videos.create_and_poll(
        model="jimeng-video-3.0",
        prompt="A cat chases butterflies",
        seconds="15",  # type: ignore[arg-type]
        poll_interval_ms=5000,  # a virtual clock's hint is the smallest; each sleep here moves the clock
    )
    assert video.status == "completed" and video.progress == 100 and video.seconds == "15"
    assert sleeps and set(sleeps) == {5.0}
    assert mock.runtime.clock.now() - start == pytest.approx(sum(sleeps))
    assert video.completed_at is not None and start < video.completed_at <= mock.runtime.clock.now()
    assert mock.checked == len(sleeps) + 2  # the create and every retrieve were held to the contract


def test_poll_waits_in_real_time_what_the_time_scale_asks(
    sdk: OpenAI, mock: ContractClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under --time-scale 0.02 a task of 1.5 s takes a real 1.5 s: the SDK's poll() waits 0.1 s between polls
    (5 s of gateway time), as openai-poll-after-ms tells it, not the 5 s the gateway sends."""
    mock.runtime.clock.run(scale=0.02)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the real wait, spent on the clock as it would pass: 50 times faster
        slept.append(seconds)
        mock.runtime.clock.advance(seconds / 0.02)

    monkeypatch.setattr(sdk.videos, "_sleep", sleep)
    video = sdk.videos.create_and_poll(model="jimeng-video-3.0", prompt="A cat chases butterflies")
    assert video.status == "completed"
    assert slept and set(slept) == {0.1}


def test_create_and_poll_returns_a_failed_video(sdk: OpenAI, sleeps: list[float]) -> None:
    video = sdk.videos.create_and_poll(
        model="jimeng-video-3.0", prompt="a cat", extra_headers={"X-Mock-Scenario": "octopusx_moderation"}
    )
    assert video.status == "failed" and video.progress == 60
    assert video.error is not None
    assert (video.error.code, video.error.message) == ("2043", "视频生成结果未通过审核")


def test_poll_interval_given_by_the_caller_wins(sdk: OpenAI, sleeps: list[float]) -> None:
    video = sdk.videos.create(model="jimeng-video-3.0", prompt="a cat")
    assert sdk.videos.poll(video.id, poll_interval_ms=2000).status == "completed"
    assert set(sleeps) == {2.0}


def test_download_content_every_variant(sdk: OpenAI, sleeps: list[float]) -> None:
    video = sdk.videos.create_and_poll(model="jimeng-video-3.0", prompt="a cat", size="1280x720")
    mp4 = sdk.videos.download_content(video.id).content
    assert mp4 == sdk.videos.download_content(video.id, variant="video").content
    with av.open(io.BytesIO(mp4), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
        assert sum(1 for _ in container.decode(stream)) == 121
    thumbnail = Image.open(io.BytesIO(sdk.videos.download_content(video.id, variant="thumbnail").content))
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (1280, 720))
    sheet = Image.open(io.BytesIO(sdk.videos.download_content(video.id, variant="spritesheet").content))
    assert sheet.format == "JPEG" and sheet.size[0] > sheet.size[1]


def test_download_before_completion_and_after_expiry_raise(
    sdk: OpenAI, mock: ContractClient, sleeps: list[float]
) -> None:
    queued = sdk.videos.create(model="jimeng-video-3.0", prompt="a cat")
    with pytest.raises(openai.BadRequestError, match="Task is not completed yet, current status: queued") as early:
        sdk.videos.download_content(queued.id)
    assert early.value.code == "video_not_ready"
    done = sdk.videos.poll(queued.id)
    assert done.expires_at is not None
    mock.runtime.clock.set(done.expires_at)
    with pytest.raises(openai.InternalServerError, match="Failed to fetch video content") as raised:
        sdk.videos.download_content(queued.id)
    assert (raised.value.status_code, raised.value.code) == (502, "content_expired")


def test_list_paginates_with_after(sdk: OpenAI, mock: ContractClient) -> None:
    ids = []
    for n in range(5):
        ids.append(sdk.videos.create(model="jimeng-video-3.0", prompt=f"cat {n}").id)
        mock.runtime.clock.advance(1)
    page = sdk.videos.list(limit=2)
    assert [v.id for v in page.data] == ids[::-1][:2]
    assert page.has_more is True and page.last_id == ids[3]
    assert all(isinstance(v, Video) for v in page.data)
    assert [v.id for v in sdk.videos.list(limit=2)] == ids[::-1]  # auto-pagination follows last_id
    assert [v.id for v in sdk.videos.list(order="asc", limit=100)] == ids


def test_delete(sdk: OpenAI, sleeps: list[float]) -> None:
    video = sdk.videos.create_and_poll(model="jimeng-video-3.0", prompt="a cat")
    deleted = sdk.videos.delete(video.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")
    with pytest.raises(openai.BadRequestError, match="task_not_exist"):
        sdk.videos.retrieve(video.id)


def test_errors_surface_as_sdk_exceptions(sdk: OpenAI, mock: ContractClient) -> None:
    with pytest.raises(openai.BadRequestError, match="seconds '4' is not supported") as raised:
        sdk.videos.create(model="jimeng-video-3.0", prompt="a cat", seconds="4")
    assert raised.value.status_code == 400
    with pytest.raises(openai.BadRequestError, match="'model' is a required property"):
        sdk.videos.create(prompt="a cat")  # the SDK sends no model by default: the seed requires one
    with make_client(api_keys=("sk-right",)) as guarded:
        wrong = OpenAI(base_url="http://testserver/octopusx/v1", api_key="sk-wrong", http_client=guarded, max_retries=0)
        with pytest.raises(openai.AuthenticationError, match="无效的令牌") as refused:
            wrong.videos.retrieve("video_x")
        assert refused.value.status_code == 401
