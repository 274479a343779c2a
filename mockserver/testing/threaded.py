"""uvicorn in a background thread, on a socket bound before it starts (so the port is known and never raced)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
_POLL = 0.005


class Swappable:
    """The app the server runs: it forwards to `app`, which can be replaced between requests (reconfiguring the
    mock keeps its address)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 takes a free one."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a keep-alive client waits ~40 ms per request (Nagle
    # holding the body back until the client's delayed ACK of the headers).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


class ServerThread:
    def __init__(self, app: ASGIApp, sock: socket.socket) -> None:
        config = uvicorn.Config(
            app, lifespan="off", ws="none", log_config=None, log_level="warning", access_log=False, workers=1
        )
        self._socket = sock
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="jimeng-mock-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        for _ in range(int(START_TIMEOUT / _POLL)):
            if self._server.started:
                return
            if not self._thread.is_alive():
                break
            time.sleep(_POLL)
        self.stop()
        raise RuntimeError("the mock server did not start (see the log above for uvicorn's reason)")

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT)
        self._socket.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._server.started
