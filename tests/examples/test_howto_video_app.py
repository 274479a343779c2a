"""How a team tests its own video code against jimeng-mock, with nothing but the pytest plugin.

The README's "Use it from your tests" section quotes these tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import httpx
import pytest

from mockserver import MockServer
from tests.examples.video_app import (
    AuthenticationFailed,
    ContentRejected,
    GenerationTimedOut,
    InsufficientCredits,
    RateLimited,
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


def test_video_fails_moderation(app: VideoApp, jimeng_mock: MockServer) -> None:
    jimeng_mock.use_scenario("moderation_fail")  # the generated video fails moderation at 80 %

    with pytest.raises(ContentRejected, match="Post Video Risk Not Pass") as rejected:
        app.make_video("a cat")

    [task] = jimeng_mock.tasks
    assert task.state == "failed"
    assert rejected.value.task_id == task.task.id
    assert jimeng_mock.journal.entries(path="/__media/") == []  # nothing to download


def test_no_credits_left(app: VideoApp, jimeng_mock: MockServer) -> None:
    jimeng_mock.use_scenario("credits_exhausted")  # the submit is refused: 403 quota_not_enough

    with pytest.raises(InsufficientCredits, match="user quota is not enough"):
        app.make_video("a cat")

    jimeng_mock.journal.assert_called("crazyrouter", "/jimeng/submit/videos", times=1)  # not retried
    assert jimeng_mock.tasks == []


def test_waits_as_long_as_retry_after_says(app: VideoApp, jimeng_mock: MockServer) -> None:
    jimeng_mock.use_scenario("rate_limited_polls")  # the first two polls get 429 with Retry-After: 2
    app.first_delay = 0.5  # so a wait of 2 s can only come from Retry-After

    assert app.make_video("a kite over the dunes")[4:8] == b"ftyp"

    polls = jimeng_mock.journal.calls("crazyrouter", "/jimeng/fetch/{task_id}")
    limited = [(poll, following) for poll, following in pairwise(polls) if poll.status == 429]
    assert len(limited) == 2
    # the virtual clock moves only when the app sleeps: the gap after each 429 is the wait it made
    waits = [following.time - poll.time for poll, following in limited]
    assert waits == [float(poll.response_headers["retry-after"]) for poll, _ in limited]


@pytest.mark.jimeng_mock(scenario="rate_limited")  # every submit: 429 with Retry-After: 1
def test_gives_up_when_the_gateway_stays_saturated(app: VideoApp, jimeng_mock: MockServer) -> None:
    with pytest.raises(RateLimited) as limited:
        app.submit("a cat")

    assert limited.value.retry_after == 1
    submits = jimeng_mock.journal.calls("crazyrouter", "/jimeng/submit/videos")
    assert [submit.status for submit in submits] == [429] * app.max_attempts
    assert [b.time - a.time for a, b in pairwise(submits)] == [1.0] * (app.max_attempts - 1)
    assert jimeng_mock.tasks == []


@pytest.mark.jimeng_mock(scenario="third_poll_503")
def test_rides_out_a_503_on_a_poll(app: VideoApp, jimeng_mock: MockServer) -> None:
    assert app.make_video("a windmill at noon")[4:8] == b"ftyp"

    polls = jimeng_mock.journal.calls("crazyrouter", "/jimeng/fetch/{task_id}")
    assert [poll.status for poll in polls[:4]] == [200, 200, 503, 200]


def test_a_prompt_tag_fails_one_task_of_a_batch(app: VideoApp, jimeng_mock: MockServer) -> None:
    # [[mock:name]] picks the scenario of that one task, for clients that cannot send headers
    tagged = app.submit("a cat [[mock:moderation_fail]]")
    untagged = app.submit("a dog")

    with pytest.raises(ContentRejected, match="Post Video Risk Not Pass"):
        app.wait(tagged)
    assert app.download(app.wait(untagged))[4:8] == b"ftyp"
    assert jimeng_mock.task(tagged).task.request["prompt"] == "a cat"  # the tag is not part of the prompt


def test_prompt_refused_at_submit(app: VideoApp, jimeng_mock: MockServer) -> None:
    with pytest.raises(ContentRejected, match="Text Risk Not Pass") as refused:
        app.submit("a cat [[mock:input_moderation]]")

    assert refused.value.task_id is None  # refused before any task existed
    jimeng_mock.journal.assert_called("crazyrouter", "/jimeng/submit/videos", times=1)
    assert jimeng_mock.tasks == []
