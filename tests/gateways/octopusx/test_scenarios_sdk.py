"""Scenarios as a real OctopusX client sees them: the official OpenAI SDK's `videos` resource.

The SDK sleeps twice: between polls (`videos._sleep`) and before a retry (`time.sleep` in its base client,
after honouring Retry-After). Both are replaced by advances of the mock's virtual clock and recorded.
"""

from __future__ import annotations

import types
from collections.abc import Iterator

import openai
import openai._base_client
import pytest
from openai import OpenAI

from tests.support import KEY, ContractClient, make_client

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled to permanently shut down:DeprecationWarning")


@pytest.fixture
def mock() -> Iterator[ContractClient]:
    with make_client() as client:
        yield client


@pytest.fixture
def retry_sleeps(mock: ContractClient, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDK's retry waits, spent on the virtual clock."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        mock.runtime.clock.advance(seconds)

    clock = types.SimpleNamespace(sleep=sleep, time=lambda: mock.runtime.clock.now())
    monkeypatch.setattr(openai._base_client, "time", clock)
    return slept


def sdk_for(mock: ContractClient, monkeypatch: pytest.MonkeyPatch, max_retries: int) -> OpenAI:
    """An SDK client on the mock whose poll waits are spent on the virtual clock."""
    sdk = OpenAI(base_url="http://testserver/octopusx/v1", api_key=KEY, http_client=mock, max_retries=max_retries)
    monkeypatch.setattr(sdk.videos, "_sleep", mock.runtime.clock.advance)
    return sdk


@pytest.mark.parametrize(
    ("scenario", "code", "message", "progress"),
    [
        ("moderation_fail", "2043", "视频生成结果未通过审核", 80),
        ("octopusx_moderation", "2043", "视频生成结果未通过审核", 60),
        ("internal_error", "50500", "Internal Error", 40),
    ],
)
def test_create_and_poll_returns_the_scripted_failure(
    mock: ContractClient, monkeypatch: pytest.MonkeyPatch, scenario: str, code: str, message: str, progress: int
) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=0)
    video = sdk.videos.create_and_poll(
        model="jimeng-video-3.0", prompt="a cat", extra_headers={"X-Mock-Scenario": scenario}
    )
    assert (video.status, video.progress) == ("failed", progress)
    assert video.error is not None and (video.error.code, video.error.message) == (code, message)


def test_a_prompt_tag_works_where_headers_cannot_be_set(mock: ContractClient, monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=0)
    video = sdk.videos.create_and_poll(model="jimeng-video-3.0", prompt="a cat [[mock:octopusx_content_filtered]]")
    assert video.status == "failed" and video.error is not None and video.error.code == "2038"


def test_a_429_poll_is_retried_after_retry_after(
    mock: ContractClient, monkeypatch: pytest.MonkeyPatch, retry_sleeps: list[float]
) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=2)
    video = sdk.videos.create(
        model="jimeng-video-3.0", prompt="a cat", extra_headers={"X-Mock-Scenario": "rate_limited_polls"}
    )
    start = mock.runtime.clock.now()
    assert sdk.videos.retrieve(video.id).status in ("queued", "in_progress")
    assert retry_sleeps == [2.0, 2.0]  # the two 429s, each waited out as their Retry-After said
    assert mock.runtime.clock.now() - start == 4.0
    assert sdk.videos.poll(video.id).status == "completed"
    assert retry_sleeps == [2.0, 2.0]


def test_a_429_poll_surfaces_as_rate_limit_error_without_retries(
    mock: ContractClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=0)
    video = sdk.videos.create(
        model="jimeng-video-3.0", prompt="a cat", extra_headers={"X-Mock-Scenario": "rate_limited_polls"}
    )
    with pytest.raises(openai.RateLimitError, match="当前分组上游负载已饱和") as limited:
        sdk.videos.retrieve(video.id)
    assert limited.value.status_code == 429 and limited.value.response.headers["retry-after"] == "2"


def test_a_rate_limited_submit_exhausts_the_retries(
    mock: ContractClient, monkeypatch: pytest.MonkeyPatch, retry_sleeps: list[float]
) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=2)
    with pytest.raises(openai.RateLimitError):
        sdk.videos.create(model="jimeng-video-3.0", prompt="a cat", extra_headers={"X-Mock-Scenario": "rate_limited"})
    assert retry_sleeps == [1.0, 1.0]
    assert mock.get("/__admin/tasks").json()["total"] == 0


def test_a_503_poll_is_retried_with_backoff(
    mock: ContractClient, monkeypatch: pytest.MonkeyPatch, retry_sleeps: list[float]
) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=2)
    video = sdk.videos.create_and_poll(
        model="jimeng-video-3.0", prompt="a cat", extra_headers={"X-Mock-Scenario": "third_poll_503"}
    )
    assert video.status == "completed"
    assert len(retry_sleeps) == 1 and 0.375 <= retry_sleeps[0] <= 0.5  # no Retry-After: the SDK's own backoff


def test_refusals_raise_the_sdk_errors(mock: ContractClient, monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="Text Risk Not Pass"):
        sdk.videos.create(model="jimeng-video-3.0", prompt="a cat [[mock:input_moderation]]")
    with pytest.raises(openai.PermissionDeniedError, match="user quota is not enough") as broke:
        sdk.videos.create(model="jimeng-video-3.0", prompt="a cat [[mock:credits_exhausted]]")
    assert broke.value.code == "quota_not_enough"


def test_a_completed_video_without_a_url_cannot_be_downloaded(
    mock: ContractClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk_for(mock, monkeypatch, max_retries=0)
    video = sdk.videos.create_and_poll(model="jimeng-video-3.0", prompt="a cat [[mock:no_url]]")
    assert video.status == "completed" and video.expires_at is None
    with pytest.raises(openai.InternalServerError, match="has no video URL") as missing:
        sdk.videos.download_content(video.id)
    assert (missing.value.status_code, missing.value.code) == (502, "content_unavailable")
