"""`MockServer`, the Python API: a real server in a thread or the app in-process, driven from a test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from mockserver import MockServer
from mockserver.server.settings import SettingsError
from mockserver.testing import TaskNotReached, UnknownTask

AUTH = {"Authorization": "Bearer sk-test"}
SUBMIT = "/crazyrouter/jimeng/submit/videos"


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(providers=["crazyrouter"], seed=3) as server:
        yield server


@pytest.fixture
def http(mock: MockServer) -> Iterator[httpx.Client]:
    mock.configure()
    with mock.client(headers=AUTH) as client:
        yield client


def submit(http: httpx.Client, **body: Any) -> str:
    response = http.post(SUBMIT, json={"model": "jimeng-video-3.0", "prompt": "a cat", **body})
    assert response.status_code == 200, response.text
    task_id: str = response.json()["id"]
    return task_id


def status(http: httpx.Client, task_id: str) -> str:
    state: str = http.get(f"/crazyrouter/jimeng/fetch/{task_id}").json()["data"]["status"]
    return state


def test_serves_over_http_on_a_free_port_and_stops_cleanly() -> None:
    with MockServer() as mock:
        assert mock.url.startswith("http://127.0.0.1:")
        assert mock.url_for("crazyrouter") == f"{mock.url}/crazyrouter"
        assert httpx.get(f"{mock.admin_url}/clock").json()["mode"] == "virtual"
        url = mock.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/__admin/clock")
    with pytest.raises(RuntimeError, match="not running"):
        _ = mock.tasks


def test_two_mocks_run_side_by_side_with_their_own_state() -> None:
    with MockServer(seed=1) as first, MockServer(seed=1) as second:
        assert first.url != second.url
        with first.client(headers=AUTH) as client:
            submit(client)
        assert len(first.tasks) == 1
        assert second.tasks == []


def test_in_process_mode_serves_an_async_client_through_an_asgi_transport() -> None:
    async def scenario(mock: MockServer) -> tuple[str, str]:
        async with mock.async_client(headers=AUTH) as client:
            body = {"model": "jimeng-video-3.0", "prompt": "a cat"}
            task_id = (await client.post(SUBMIT, json=body)).json()["id"]
            mock.clock.advance_until(task_id, "succeeded")
            data = (await client.get(f"/crazyrouter/jimeng/fetch/{task_id}")).json()["data"]
            video = await client.get(data["url"])
            return data["status"], video.headers["content-type"]

    with MockServer(mode="asgi") as mock:
        assert mock.url == "http://testserver"
        assert anyio.run(scenario, mock) == ("succeeded", "video/mp4")
        with pytest.raises(RuntimeError, match="async_client"):
            mock.client()


def test_settings_are_checked_when_the_mock_is_created() -> None:
    with pytest.raises(SettingsError, match="unknown provider 'nope'"):
        MockServer(providers=["nope"])
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        MockServer(colour="blue")
    with pytest.raises(ValueError, match="mode must be"):
        MockServer(mode="process")  # type: ignore[arg-type]


def test_url_for_names_the_mounted_gateways(mock: MockServer) -> None:
    with pytest.raises(ValueError, match=r"'octopusx' is not mounted on this mock \(mounted: crazyrouter\)"):
        mock.url_for("octopusx")


def test_advance_until_stops_at_the_step_where_the_task_gets_there(mock: MockServer, http: httpx.Client) -> None:
    task_id = submit(http)
    processing = mock.clock.advance_until(task_id, "processing")
    assert processing.state == "processing"
    queued_for = processing.task.schedule.phases[0].until_seconds
    assert queued_for is not None
    assert processing.now - processing.task.created_at == pytest.approx(queued_for, abs=0.01)

    done = mock.clock.advance_until(task_id)
    assert done.state == "succeeded"
    assert done.task.polls == 0  # the harness never polls as a client does
    assert status(http, task_id) == "succeeded"


def test_advance_until_explains_a_task_that_ended_elsewhere(mock: MockServer, http: httpx.Client) -> None:
    task_id = submit(http, frames=100)  # passes the submit, fails in the pipeline
    with pytest.raises(TaskNotReached, match=r"ended 'failed' with error .*frames=100.*can never be 'succeeded'"):
        mock.clock.advance_until(task_id, "succeeded")


def test_advance_until_gives_up_at_the_limit(mock: MockServer, http: httpx.Client) -> None:
    mock.configure(provider_options={"crazyrouter": {"timings": {"queued": 1, "processing": 7200}}})
    task_id = submit(http)
    started = mock.clock.now()
    with pytest.raises(
        TaskNotReached, match=r"still 'processing' .* after advancing 600 s, the limit; this step ends 6601 s from now"
    ):
        mock.clock.advance_until(task_id, "succeeded", limit=600)
    assert mock.clock.now() - started == pytest.approx(600)


def test_advance_until_refuses_a_step_that_waits_for_polls(mock: MockServer, http: httpx.Client) -> None:
    mock.configure(provider_options={"crazyrouter": {"timings": {"queued": 1, "processing": {"polls": 3}}}})
    task_id = submit(http)
    with pytest.raises(TaskNotReached, match=r"until it has been polled more than 3 times .* poll it as the client"):
        mock.clock.advance_until(task_id, "succeeded")


def test_advance_until_checks_the_task_and_the_state(mock: MockServer, http: httpx.Client) -> None:
    with pytest.raises(UnknownTask, match="no task '42' on the mock"):
        mock.clock.advance_until("42")
    task_id = submit(http)
    with pytest.raises(ValueError, match="'success' is not a state of crazyrouter tasks: use one of queued"):
        mock.clock.advance_until(task_id, "success")


def test_tasks_and_task_read_without_polling(mock: MockServer, http: httpx.Client) -> None:
    first, second = submit(http), submit(http)
    assert [view.task.id for view in mock.tasks] == [first, second]
    assert mock.task(first).state == "queued"
    assert mock.task(first).task.polls == 0
    with pytest.raises(UnknownTask):
        mock.task("0")


def test_use_scenario_binds_new_tasks_and_reset_restores_the_default(mock: MockServer, http: httpx.Client) -> None:
    before = submit(http)
    mock.use_scenario("moderation_fail")
    after = submit(http)
    assert mock.scenario == "moderation_fail"
    assert (mock.task(before).task.scenario, mock.task(after).task.scenario) == ("default", "moderation_fail")
    assert http.get(f"/__admin/tasks/{after}").json()["scenario"] == "moderation_fail"

    mock.reset()
    assert mock.scenario == "default"
    with pytest.raises(ValueError, match="needs a name"):
        mock.use_scenario(" ")


def test_reset_restores_the_state_the_mock_started_in(mock: MockServer, http: httpx.Client) -> None:
    start = mock.clock.now()
    first_id = submit(http)
    mock.clock.advance(500)
    mock.reset()
    assert (mock.tasks, len(mock.journal), mock.clock.now()) == ([], 0, start)
    assert submit(http) == first_id  # the random streams restart too


def test_configure_keeps_the_address_and_goes_back(mock: MockServer, http: httpx.Client) -> None:
    url, default_id = mock.url, submit(http)
    mock.configure(seed=99, api_keys=["sk-test"])
    assert mock.url == url
    assert mock.settings.seed == 99
    assert submit(http) != default_id
    assert http.post(SUBMIT, json={}, headers={"Authorization": "Bearer sk-other"}).status_code == 401

    mock.configure()
    assert mock.settings.seed == 3
    assert submit(http) == default_id


def test_configure_with_only_a_scenario_keeps_the_runtime(mock: MockServer) -> None:
    runtime = mock.runtime
    mock.configure(scenario="stuck_queue")
    assert mock.runtime is runtime
    assert mock.scenario == "stuck_queue"
    mock.configure()
    assert mock.scenario == "default"


def test_the_clock_follows_a_reconfigured_mock(mock: MockServer) -> None:
    advance = mock.clock.advance  # e.g. handed to a client as its sleep function
    mock.configure(seed=5)
    before = mock.runtime.clock.now()
    advance(10)
    assert mock.runtime.clock.now() == before + 10


def test_the_same_seed_gives_the_same_tasks_in_two_mocks() -> None:
    ids = []
    for _ in range(2):
        with MockServer(seed=11) as mock, mock.client(headers=AUTH) as client:
            ids.append(submit(client))
    assert ids[0] == ids[1]
