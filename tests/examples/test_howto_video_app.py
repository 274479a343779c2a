"""How a team tests its own video code against jimeng-mock, with nothing but the pytest plugin.

The README's "Use it from your tests" section quotes these tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver import MockServer
from tests.examples.video_app import (
    AuthenticationFailed,
    GenerationTimedOut,
    ResultExpired,
    TaskNotFound,
    VideoApp,
)


@pytest.fixture
def app(jimeng_mock: MockServer) -> Iterator[VideoApp]:
    with httpx.Client() as http:
        yield VideoApp(
            base_url=jimeng_mock.url_for("crazyrouter"),
            api_key="sk-test",
            sleep=jimeng_mock.clock.advance,  # waiting moves the mock's virtual clock: no real sleep
            clock=jimeng_mock.clock.now,
            http=http,
        )


def test_makes_a_video(app: VideoApp, jimeng_mock: MockServer) -> None:
    video = app.make_video("an orange cat yawning", aspect_ratio="9:16")

    assert video[4:8] == b"ftyp"  # a real MP4
    jimeng_mock.journal.assert_called("crazyrouter", "/jimeng/submit/videos", times=1, method="POST")
    polls = jimeng_mock.journal.calls("crazyrouter", "/jimeng/fetch/{task_id}")
    assert 3 <= len(polls) <= 12  # backed off: a minute or two of generation in a handful of polls


def test_first_poll_after_the_task_is_done(app: VideoApp, jimeng_mock: MockServer) -> None:
    task_id = app.submit("a paper boat on a river")
    jimeng_mock.clock.advance_until(task_id, "succeeded")

    assert app.wait(task_id).startswith(jimeng_mock.url)
    jimeng_mock.journal.assert_called("crazyrouter", "/jimeng/fetch/{task_id}", times=1)


def test_result_url_expires_before_download(app: VideoApp, jimeng_mock: MockServer) -> None:
    url = app.wait(app.submit("a lighthouse at dusk"))
    jimeng_mock.clock.advance(24 * 3600)  # Crazyrouter's result URLs live 24 hours

    with pytest.raises(ResultExpired, match="Request has expired"):
        app.download(url)


@pytest.mark.jimeng_mock(provider_options={"crazyrouter": {"timings": {"processing": 7200}}})
def test_gives_up_on_a_task_stuck_in_processing(app: VideoApp, jimeng_mock: MockServer) -> None:
    with pytest.raises(GenerationTimedOut, match="still processing after 600 s"):
        app.make_video("a very long generation")

    [task] = jimeng_mock.tasks
    assert task.state == "processing"


def test_unknown_task(app: VideoApp) -> None:
    with pytest.raises(TaskNotFound):
        app.wait("1234567890123456789")


@pytest.mark.jimeng_mock(api_keys=["sk-team"])
def test_rejected_key(app: VideoApp, jimeng_mock: MockServer) -> None:
    with pytest.raises(AuthenticationFailed, match="无效的令牌"):
        app.submit("a cat")

    jimeng_mock.journal.assert_called("crazyrouter", "/jimeng/submit/videos", times=1)
    assert jimeng_mock.tasks == []
