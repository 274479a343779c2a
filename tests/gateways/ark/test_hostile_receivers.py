"""Callback receivers that answer a byte at a time or without end: each delivery is over within callback_timeout
and reads no more of the answer than the journal keeps, so the clock's move that sends it returns."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from mockserver.server.exchange import KEPT
from mockserver.testing import MockServer
from tests.gateways.ark.receiver import answering
from tests.gateways.ark.test_callbacks import create

TIMEOUT = 0.3


def dripping_head(connection: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
        connection.sendall(bytes([byte]))
        time.sleep(TIMEOUT / 3)


def dripping_body(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        connection.sendall(b"x")
        time.sleep(TIMEOUT / 3)


def endless_body(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (1 << 34))
    chunk = b"y" * (1 << 20)
    while True:
        connection.sendall(chunk)


@pytest.mark.parametrize("answer", [dripping_head, dripping_body])
def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_timeout(
    answer: Callable[[socket.socket], None],
) -> None:
    with answering(answer) as url, MockServer(providers=["ark"], callback_timeout=TIMEOUT) as mock:
        task_id = create(mock, url)
        started = time.monotonic()
        mock.clock.advance(0)
        took = time.monotonic() - started
        entry = mock.journal.callbacks(task=task_id)[0]
    assert took < TIMEOUT + 2
    assert entry.status == 0 and "callback_timeout" in entry.response_body


def test_an_endless_answer_is_read_only_as_far_as_the_journal_keeps() -> None:
    with answering(endless_body) as url, MockServer(providers=["ark"], callback_timeout=5) as mock:
        task_id = create(mock, url)
        started = time.monotonic()
        mock.clock.advance(0)
        took = time.monotonic() - started
        entry = mock.journal.callbacks(task=task_id)[0]
    assert took < 2
    assert entry.status == 200 and len(entry.response_body) <= KEPT


def test_the_admin_api_answers_while_clock_next_waits_on_a_receiver() -> None:
    """`clock/next` sends what falls due off the event loop, as `clock/advance` does: the rest of the server is not
    held while a receiver takes its time."""
    with (
        answering(lambda connection: time.sleep(3)) as url,
        MockServer(providers=["ark"], callback_timeout=2) as mock,
        mock.client(timeout=10) as client,
    ):
        create(mock, url)
        with ThreadPoolExecutor(max_workers=1) as pool:
            moving = pool.submit(client.post, "/__admin/clock/next", json={})
            time.sleep(0.5)  # the move has begun: its delivery waits on the receiver
            started = time.monotonic()
            assert client.get("/__admin/clock").status_code == 200
            took = time.monotonic() - started
            assert moving.result().status_code == 200
    assert took < 1


def silent(connection: socket.socket) -> None:
    time.sleep(TIMEOUT * 20)  # reads the request, never answers


def test_receivers_that_never_answer_hold_a_clock_move_once_not_once_per_task() -> None:
    tasks = 8
    with answering(silent) as url, MockServer(providers=["ark"], callback_timeout=TIMEOUT) as mock:
        created = [create(mock, url) for _ in range(tasks)]
        started = time.monotonic()
        mock.clock.advance(0)  # each task's `queued` is due: one delivery each, all to a silent receiver
        took = time.monotonic() - started
        entries = {task: mock.journal.callbacks(task=task) for task in created}
    assert all(len(sent) == 1 and sent[0].status == 0 for sent in entries.values()), entries
    assert took < TIMEOUT * tasks / 2, f"{tasks} silent receivers held the move {took:.2f} s"
