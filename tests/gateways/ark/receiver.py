"""A small callback receiver for the tests: a real HTTP server on a free loopback port that keeps what it is sent
and answers each POST with the next status of its script (200 when the script runs out)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
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
