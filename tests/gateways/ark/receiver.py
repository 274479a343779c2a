"""A small callback receiver for the tests: a real HTTP server on a free loopback port that keeps what it is sent
and answers each POST with the next status of its script (200 when the script runs out)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, answers: list[int] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.answers = list(answers or [])
        self.arrived = threading.Condition()
        self.url = ""

    @property
    def statuses(self) -> list[str]:
        return [body["status"] for body in self.bodies]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[str]:
        """The statuses received, once `count` have arrived (from a background sender) or `timeout` has passed."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.bodies) >= count, timeout)
        return self.statuses


@contextmanager
def receiving(answers: list[int] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(answers)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            with receiver.arrived:  # kept before answering: the sender's call returns once it has the answer
                receiver.bodies.append(body)
                receiver.arrived.notify_all()
                status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/ark-callback"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def answering(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A receiver that reads each request's head and then answers it with `answer(connection)`, however hostile:
    its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection:
            head = b""
            while b"\r\n\r\n" not in head and (data := connection.recv(65536)):
                head += data
            with contextlib.suppress(OSError):  # the mock hung up
                answer(connection)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        listener.close()
