"""The HTTP server's limits, against a real `jimeng-mock serve` process on loopback: a slow or endless request head
is cut off, an idle connection is closed, and slow clients cannot starve the others for longer than the
header timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.server.http_limits import GuardedHttpTools, LimitedConfig
from mockserver.server.settings import Settings
from tests.stores.processes import Served, serving

HEADER_TIMEOUT = 1.0
KEEP_ALIVE = 1
MAX_HEADER_BYTES = 8192
MAX_CONCURRENCY = 20
SLACK = 3.0
"""Seconds allowed past a timeout for the server to act on it (a loaded machine)."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = Path(tmp_path_factory.mktemp("limits")) / "mock.yaml"
    config.write_text(
        f"http_header_timeout: {HEADER_TIMEOUT}\nhttp_keep_alive: {KEEP_ALIVE}\n"
        f"http_max_header_bytes: {MAX_HEADER_BYTES}\nhttp_max_concurrency: {MAX_CONCURRENCY}\n",
        encoding="utf-8",
    )
    with serving("--clock", "virtual", "--config", str(config)) as server:
        yield server


def connect(served: Served) -> socket.socket:
    host, port = served.base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=HEADER_TIMEOUT + SLACK)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> float:
    """How long the server took to close the connection (reading whatever it sent first)."""
    started = time.monotonic()
    sock.settimeout(seconds)
    while sock.recv(65536):
        pass
    return time.monotonic() - started


def answers(served: Served) -> int:
    with httpx.Client(base_url=served.base, timeout=10) as http:
        return http.get("/__admin/clock").status_code


def test_a_head_sent_too_slowly_is_cut_off(served: Served) -> None:
    with connect(served) as sock:
        sock.sendall(b"GET /__admin/clock HTTP/1.1\r\nHost: localhost\r\n")
        assert closed_within(sock, HEADER_TIMEOUT + SLACK) >= HEADER_TIMEOUT * 0.9
    with connect(served) as sock:  # a byte now and then does not keep it open (slowloris)
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        while time.monotonic() - started < HEADER_TIMEOUT + SLACK:
            try:
                sock.sendall(b"X-a: b\r\n")
            except OSError:
                break
            time.sleep(0.2)
        assert time.monotonic() - started < HEADER_TIMEOUT + SLACK


def test_a_connection_that_sends_nothing_is_closed(served: Served) -> None:
    with connect(served) as sock:
        assert closed_within(sock, HEADER_TIMEOUT + SLACK) < HEADER_TIMEOUT + SLACK


def test_an_idle_keep_alive_connection_is_closed(served: Served) -> None:
    with connect(served) as sock:
        sock.sendall(b"GET /__admin/clock HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert closed_within(sock, KEEP_ALIVE + SLACK) < KEEP_ALIVE + SLACK


def test_a_head_over_the_size_limit_is_a_431(served: Served) -> None:
    response = httpx.get(served.base + "/__admin/clock", headers={"X-Big": "a" * MAX_HEADER_BYTES}, timeout=10)
    assert response.status_code == 431
    with connect(served) as sock:  # an endless header is not buffered: the answer comes once the limit is passed
        sock.sendall(b"GET / HTTP/1.1\r\nX-Endless: ")
        try:
            for _ in range(64):
                sock.sendall(b"a" * 1024)
        except OSError:
            pass
        assert sock.recv(64).startswith(b"HTTP/1.1 431")
    ok = httpx.get(served.base + "/__admin/clock", headers={"X-Fits": "a" * (MAX_HEADER_BYTES // 2)}, timeout=10)
    assert ok.status_code == 200
    big_body = httpx.post(
        served.base + "/crazyrouter/jimeng/submit/videos",
        headers={"Authorization": "Bearer sk-test"},
        json={"model": "jimeng-video-3.0", "prompt": "a cat", "pad": "x" * 200_000},
        timeout=10,
    )
    assert big_body.status_code != 431  # the body does not count as head


def read_answer(sock: socket.socket) -> bytes:
    """One whole answer to a request on a kept-alive connection (its head and its Content-Length of body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_a_later_request_on_a_kept_alive_connection_has_the_same_limits(served: Served) -> None:
    submit = (
        b"POST /crazyrouter/jimeng/submit/videos HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-test\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    )
    body = b'{"model": "jimeng-video-3.0", "prompt": "a cat", "pad": "%s"}' % (b"x" * (MAX_HEADER_BYTES * 2))
    with connect(served) as sock:
        for _ in range(3):  # bodies larger than a head may be are not counted as the next request's head
            sock.sendall(submit % (len(body), body))
            assert read_answer(sock).startswith(b"HTTP/1.1 200")
        big = b"X-Big: " + b"a" * MAX_HEADER_BYTES
        sock.sendall(b"GET /__admin/clock HTTP/1.1\r\nHost: localhost\r\n" + big + b"\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 431")
    with connect(served) as sock:
        sock.sendall(b"GET /__admin/clock HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_answer(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /__admin/clock HTTP/1.1\r\nHost: localhost\r\n")  # the next head, never finished
        assert HEADER_TIMEOUT * 0.9 <= closed_within(sock, HEADER_TIMEOUT + SLACK) < HEADER_TIMEOUT + SLACK


def test_slow_clients_hold_the_server_no_longer_than_the_header_timeout(served: Served) -> None:
    slow = [connect(served) for _ in range(MAX_CONCURRENCY + 5)]
    try:
        for sock in slow:
            sock.sendall(b"GET /__admin/clock HTTP/1.1\r\n")
        with httpx.Client(base_url=served.base, timeout=10) as http:
            assert http.get("/__admin/clock").status_code == 503  # over the concurrency limit: refused, not queued
        deadline = time.monotonic() + HEADER_TIMEOUT + SLACK
        while answers(served) != 200:
            assert time.monotonic() < deadline, "the slow connections still hold the server"
            time.sleep(0.1)
        for sock in slow:
            assert closed_within(sock, SLACK) < SLACK
    finally:
        for sock in slow:
            sock.close()
    assert answers(served) == 200


def test_the_settings_reach_uvicorn() -> None:
    settings = Settings(http_max_header_bytes=1000, http_header_timeout=2.5, http_keep_alive=7, http_max_concurrency=9)
    config = LimitedConfig("mockserver.cli.main:worker_app", settings, factory=True)
    assert config.http is GuardedHttpTools
    assert (config.h11_max_incomplete_event_size, config.header_timeout) == (1000, 2.5)
    assert (config.timeout_keep_alive, config.limit_concurrency) == (7, 9)
