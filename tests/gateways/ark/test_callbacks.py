"""Callbacks really sent: in order on the mock's clock, retried when the receiver fails a final status, scripted by
scenarios (late, duplicated, out of order), and only to the addresses the callback_hosts setting allows."""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.gateways.kit.callbacks import allowed_address
from mockserver.testing import MockServer
from tests.gateways.ark.helpers import AUTH, TASKS, create_body
from tests.gateways.ark.receiver import receiving


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(providers=["ark"]) as mock:
        yield mock


@pytest.fixture
def mock(server: MockServer) -> MockServer:
    server.reset()
    return server


def create(mock: MockServer, receiver_url: str, scenario: str | None = None, **fields: Any) -> str:
    headers = AUTH | ({"X-Mock-Scenario": scenario} if scenario else {})
    with mock.client() as client:
        response = client.post(TASKS, json=create_body(callback_url=receiver_url, **fields), headers=headers)
    assert response.status_code == 200, response.text
    task_id: str = response.json()["id"]
    return task_id


def run_to_end(mock: MockServer, seconds: float = 3600) -> None:
    """Move the clock past any task's end, ten seconds at a time (each move sends what fell due)."""
    for _ in range(int(seconds // 10)):
        mock.clock.advance(10)


def test_a_final_status_is_retried_three_times_five_seconds_apart(mock: MockServer) -> None:
    with receiving(answers=[200, 200, 500, 503, 500, 500]) as receiver:
        task_id = create(mock, receiver.url)
        mock.clock.advance_until(task_id, "succeeded")
        assert receiver.statuses == ["queued", "running", "succeeded"]
        mock.clock.advance(4.9)
        assert len(receiver.bodies) == 3
        mock.clock.advance(0.2)
        assert len(receiver.bodies) == 4
        mock.clock.advance(60)
        assert receiver.statuses == ["queued", "running"] + ["succeeded"] * 4
    answers = [entry.status for entry in mock.journal.callbacks(task=task_id)]
    assert answers == [200, 200, 500, 503, 500, 500]


def test_a_receiver_that_does_not_answer_is_journaled_with_status_0() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    try:
        with MockServer(providers=["ark"], callback_timeout=0.2) as mock:
            url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
            task_id = create(mock, url)
            mock.clock.advance(0)
            entry = mock.journal.callbacks(task=task_id)[0]
    finally:
        silent.close()
    assert entry.status == 0 and "callback_timeout" in entry.response_body


def test_cancelling_stops_the_callbacks(mock: MockServer) -> None:
    with receiving() as receiver:
        task_id = create(mock, receiver.url)
        with mock.client() as client:
            assert client.delete(f"{TASKS}/{task_id}", headers=AUTH).status_code == 200
        run_to_end(mock)
        assert receiver.statuses == []


def test_an_expired_task_calls_back_expired(mock: MockServer) -> None:
    with receiving() as receiver:
        task_id = create(mock, receiver.url, "ark_expires", execution_expires_after=3600)
        mock.clock.advance(3601)
        assert receiver.statuses == ["queued", "running", "expired"]
        assert receiver.bodies[-1]["error"]["code"] == "TaskExpired" and receiver.bodies[-1]["id"] == task_id


def test_failed_tasks_call_back_failed(mock: MockServer) -> None:
    with receiving() as receiver:
        create(mock, receiver.url, "ark_output_video_sensitive")
        mock.clock.advance(3600)
        assert receiver.statuses[-1] == "failed"
        assert receiver.bodies[-1]["error"]["code"] == "OutputVideoSensitiveContentDetected"


def test_late_callbacks(mock: MockServer) -> None:
    with receiving() as receiver:
        task_id = create(mock, receiver.url, "ark_callbacks_late")
        mock.clock.advance(29)
        assert receiver.statuses == []
        mock.clock.advance(1)
        assert receiver.statuses == ["queued"]
        mock.clock.advance_until(task_id, "succeeded")
        mock.clock.advance(30)
        assert receiver.statuses == ["queued", "running", "succeeded"]


def test_duplicated_callbacks(mock: MockServer) -> None:
    with receiving() as receiver:
        task_id = create(mock, receiver.url, "ark_callbacks_duplicated")
        mock.clock.advance_until(task_id, "succeeded")
        assert receiver.statuses == ["queued", "queued", "running", "running", "succeeded", "succeeded"]


def test_out_of_order_callbacks(mock: MockServer) -> None:
    with receiving() as receiver:
        task_id = create(mock, receiver.url, "ark_callbacks_out_of_order")
        mock.clock.advance(0)
        assert receiver.statuses == []
        mock.clock.advance_until(task_id, "succeeded")
        assert receiver.statuses == ["running", "queued", "succeeded"]


def test_a_poll_that_ends_a_step_sends_its_callback_though_the_virtual_clock_stands_still(mock: MockServer) -> None:
    with receiving() as receiver:
        task_id = create(mock, receiver.url, "poll_driven")  # queued for one poll, running for two more
        with mock.client() as client:
            statuses = [client.get(f"{TASKS}/{task_id}", headers=AUTH).json()["status"] for _ in range(4)]
            assert statuses == ["queued", "running", "running", "succeeded"]
            assert receiver.wait_for(3) == ["queued", "running", "succeeded"]
            client.get(f"{TASKS}/{task_id}", headers=AUTH)  # a poll after the end sends nothing more
        mock.clock.advance(60)
        assert receiver.statuses == ["queued", "running", "succeeded"]
    assert [entry.status for entry in mock.journal.callbacks(task=task_id)] == [200, 200, 200]


def test_a_flowing_clock_sends_from_the_background() -> None:
    with (
        MockServer(providers=["ark"], clock="system", time_scale=0.001, callback_interval=0.02) as mock,
        receiving() as receiver,
    ):
        create(mock, receiver.url)
        assert receiver.wait_for(3) == ["queued", "running", "succeeded"]


@pytest.mark.parametrize(
    ("url", "hosts", "allowed"),
    [
        ("http://127.0.0.1:9/x", ("localhost", "127.0.0.0/8", "::1"), True),
        ("http://localhost/x", ("localhost", "127.0.0.0/8", "::1"), True),
        ("http://[::1]:80/x", ("localhost", "127.0.0.0/8", "::1"), True),
        ("http://10.0.0.5/x", ("localhost", "127.0.0.0/8", "::1"), False),
        ("https://hooks.example.com/x", ("localhost", "127.0.0.0/8"), False),
        ("https://hooks.example.com/x", ("hooks.example.com",), True),
        ("http://10.0.0.5/x", ("10.0.0.0/8",), True),
        ("https://anything.example/x", ("*",), True),
        ("http://[bad/x", ("*",), False),
        ("http://127.0.0.1:99999/x", ("127.0.0.0/8",), False),
        ("http://127.0.0.1:-1/x", ("*",), False),
    ],
)
def test_allowed_addresses(url: str, hosts: tuple[str, ...], allowed: bool) -> None:
    assert allowed_address(url, hosts) is allowed


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/x", "http://127.0.0.1:-1/x", "http://localhost:8o/x"])
def test_a_callback_url_with_a_port_that_is_none_is_refused(mock: MockServer, url: str) -> None:
    with mock.client() as client:
        response = client.post(TASKS, json=create_body(callback_url=url), headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "callback_url"
    assert "http(s) URL" in response.json()["error"]["message"]


def test_the_setting_opens_other_addresses(server: MockServer) -> None:
    server.configure(callback_hosts=["hooks.example.com"])
    try:
        with server.client() as client:
            accepted = client.post(TASKS, json=create_body(callback_url="https://hooks.example.com/x"), headers=AUTH)
            refused = client.post(TASKS, json=create_body(callback_url="http://127.0.0.1/x"), headers=AUTH)
        assert accepted.status_code == 200 and refused.status_code == 400
    finally:
        server.configure()


def _callback_threads() -> int:
    return sum(thread.name == "jimeng-mock-callbacks" for thread in threading.enumerate())


def test_stopping_or_reconfiguring_the_mock_stops_its_callback_sender() -> None:
    before = _callback_threads()
    with MockServer(providers=["ark"]) as mock:
        create(mock, "http://127.0.0.1:9/hook")
        assert _callback_threads() == before + 1
        mock.configure(callback_timeout=1)  # a new runtime: the old one's sender stops
        assert _callback_threads() == before
        create(mock, "http://127.0.0.1:9/hook")
    assert _callback_threads() == before


def test_a_watched_task_does_not_keep_the_connection_it_was_created_on(mock: MockServer) -> None:
    """A task watched for its callbacks keeps the address its URLs are made at, not the request that created it
    (its connection's cycle, its body): a mock holding many live tasks does not hold as many connections."""

    def cycles() -> int:
        gc.collect()
        return sum(type(thing).__name__ == "RequestResponseCycle" for thing in gc.get_objects())

    before = cycles()
    with mock.client() as client:
        for _ in range(20):
            body = create_body(callback_url="http://127.0.0.1:9/hook")
            assert client.post(TASKS, json=body, headers=AUTH | {"Connection": "close"}).status_code == 200
    assert cycles() - before < 5
    with receiving() as receiver:
        task_id = create(mock, receiver.url, return_last_frame=True)
        mock.clock.advance_until(task_id, "succeeded")
    assert receiver.bodies[-1]["content"]["video_url"].startswith(mock.url + "/__media/ark/")
    assert receiver.bodies[-1]["content"]["last_frame_url"].startswith(mock.url + "/__media/ark/")
