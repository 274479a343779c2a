"""Request bodies that do not arrive, against a real `jimeng-mock serve` process: a body announced and never sent
(or sent in part, or chunked and never finished, or awaited behind `Expect: 100-continue`) gets a 408 within the
body timeout and its connection is closed; a client that leaves mid-body leaves no traceback in the log."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver.server.settings import Settings, SettingsError
from tests.fuzz.corpus import JSON_ENDPOINTS, KEY, SESSION
from tests.fuzz.served import Served, served

BODY_TIMEOUT = 1.5
MAX_CONCURRENCY = 20
SLACK = 3.0
"""Seconds allowed past a timeout for the server to act on it (a loaded machine)."""
SUBMIT = JSON_ENDPOINTS["crazyrouter"]
BODY = b'{"model": "jimeng-video-3.0", "prompt": "a cat"}'
READERS = {
    "crazyrouter": SUBMIT,
    "octopusx-multipart": "/octopusx/v1/videos",
    "jimeng2api": JSON_ENDPOINTS["jimeng2api"],
    "volcengine": JSON_ENDPOINTS["volcengine"],
    "ark": JSON_ENDPOINTS["ark"],
    "admin": JSON_ENDPOINTS["admin"],
}
"""A route of each way the mock reads a body: the gateways' JSON, a multipart form, volcengine's raw body (read
before its signature is checked), Ark's, the admin API's."""


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    limits = {"JIMENG_MOCK_HTTP_BODY_TIMEOUT": str(BODY_TIMEOUT), "JIMENG_MOCK_HTTP_MAX_CONCURRENCY": "20"}
    with served(limits) as running:
        yield running


def head(path: str, *lines: bytes, length: int = 100) -> bytes:
    """A POST's head with the route's credentials, announcing a `length`-byte JSON body (multipart for OctopusX)."""
    kind = b"multipart/form-data; boundary=b" if path.startswith("/octopusx") else b"application/json"
    auth = SESSION if path.startswith("/jimeng2api") else KEY
    return (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n" + auth + b"\r\nContent-Type: " + kind + b"\r\n"
        b"Content-Length: %d\r\n" % length + b"".join(line + b"\r\n" for line in lines) + b"\r\n"
    )


def connect(server: Served) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=BODY_TIMEOUT + SLACK)


def answer_within(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    sock.settimeout(seconds)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received, time.monotonic() - started


def traceback_free(server: Served) -> str:
    """The server's log, once it has answered a request made after the ones under test."""
    assert httpx.get(f"{server.base}/__admin/clock", timeout=10).status_code == 200
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    return log


@pytest.mark.parametrize("reader", READERS)
def test_a_body_never_sent_whole_is_a_408_within_the_body_timeout(server: Served, reader: str) -> None:
    with connect(server) as sock:
        sock.sendall(head(READERS[reader]) + b"{")
        received, seconds = answer_within(sock, BODY_TIMEOUT + SLACK)
    assert received.startswith(b"HTTP/1.1 408 "), received[:300]
    assert BODY_TIMEOUT * 0.9 <= seconds < BODY_TIMEOUT + SLACK
    traceback_free(server)


@pytest.mark.parametrize(
    "request_bytes",
    [
        head(SUBMIT, b"Expect: 100-continue"),  # asks leave to send, then sends nothing
        head(SUBMIT).replace(b"Content-Length: 100", b"Transfer-Encoding: chunked") + b"5\r\nabc",
        head(SUBMIT).replace(b"Content-Length: 100", b"Transfer-Encoding: chunked") + b"3\r\nabc\r\n",
    ],
    ids=["expect-100-continue", "chunk-cut-short", "no-last-chunk"],
)
def test_every_framing_of_a_stalled_body_is_a_408(server: Served, request_bytes: bytes) -> None:
    with connect(server) as sock:
        sock.sendall(request_bytes)
        received, seconds = answer_within(sock, BODY_TIMEOUT + SLACK)
    assert b"HTTP/1.1 408 " in received, received[:300]
    assert seconds < BODY_TIMEOUT + SLACK
    traceback_free(server)


def test_a_body_sent_slowly_within_the_timeout_is_answered(server: Served) -> None:
    with connect(server) as sock:
        sock.sendall(head(SUBMIT, b"Connection: close", length=len(BODY)) + BODY[:10])
        time.sleep(BODY_TIMEOUT / 3)
        sock.sendall(BODY[10:])
        received, _ = answer_within(sock, SLACK)
    assert received.startswith(b"HTTP/1.1 200 "), received[:300]


def test_a_pipelined_request_behind_a_slow_answer_is_answered(server: Served) -> None:
    slow = b"X-Mock-Fault: latency=%g" % (BODY_TIMEOUT * 1.5)
    first = head(SUBMIT, slow, length=len(BODY)) + BODY
    with connect(server) as sock:
        sock.sendall(first + head(SUBMIT, b"Connection: close", length=len(BODY)) + BODY)
        received, _ = answer_within(sock, BODY_TIMEOUT * 1.5 + SLACK)
    assert received.count(b"HTTP/1.1 200 ") == 2, received[:600]


def test_a_body_queued_behind_a_slow_answer_is_not_cut_off_while_it_waits(server: Served) -> None:
    """The second request's head arrives with the first; its body only after the first answer, later than the body
    timeout after its head: while it waited for the mock, its clock started again."""
    slow = b"X-Mock-Fault: latency=%g" % (BODY_TIMEOUT * 1.5)
    with connect(server) as sock:
        sock.sendall(head(SUBMIT, slow, length=len(BODY)) + BODY + head(SUBMIT, b"Connection: close", length=len(BODY)))
        sock.settimeout(BODY_TIMEOUT * 1.5 + SLACK)
        first = b""
        while b"HTTP/1.1 200 " not in first and (chunk := sock.recv(65536)):
            first += chunk
        sock.sendall(BODY)
        rest, _ = answer_within(sock, SLACK)
    assert (first + rest).count(b"HTTP/1.1 200 ") == 2, (first + rest)[:600]


@pytest.mark.parametrize("reader", READERS)
def test_a_client_that_leaves_mid_body_leaves_no_traceback(server: Served, reader: str) -> None:
    with connect(server) as sock:
        sock.sendall(head(READERS[reader]) + b"{")
        time.sleep(0.2)  # the server is reading the body
    log = traceback_free(server)
    assert "Exception in ASGI application" not in log


@pytest.mark.parametrize("fault", ["reset", "empty", "latency=0.1; reset"])
@pytest.mark.parametrize("path", [SUBMIT, "/__admin/clock/advance"])
def test_the_network_faults_still_reach_the_connection(server: Served, fault: str, path: str) -> None:
    """The deadline passes `send` on as is: a reset or an empty answer drops the connection, with no answer (a 500
    would say the fault never reached the socket)."""
    body = b'{"seconds": 1}' if path.startswith("/__admin") else BODY
    with connect(server) as sock:
        sock.sendall(head(path, b"X-Mock-Fault: " + fault.encode(), length=len(body)) + body)
        try:
            received, _ = answer_within(sock, SLACK)
        except ConnectionResetError:
            received = b""
    assert received == b"", received[:300]
    assert "returned without starting response" not in traceback_free(server)


def test_stalled_bodies_hold_the_server_no_longer_than_the_body_timeout(server: Served) -> None:
    stalled = [connect(server) for _ in range(MAX_CONCURRENCY + 5)]
    try:
        for sock in stalled:
            sock.sendall(head(SUBMIT) + b"{")
        deadline = time.monotonic() + BODY_TIMEOUT + SLACK
        while httpx.get(f"{server.base}/__admin/clock", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "the stalled bodies still hold the server"
            time.sleep(0.1)
    finally:
        for sock in stalled:
            sock.close()


def test_the_body_timeout_is_a_setting_of_positive_seconds() -> None:
    assert Settings().http_body_timeout == 60.0
    assert Settings.load(environ={"JIMENG_MOCK_HTTP_BODY_TIMEOUT": "7.5"}).http_body_timeout == 7.5
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(SettingsError, match="http_body_timeout"):
            Settings(http_body_timeout=bad)
