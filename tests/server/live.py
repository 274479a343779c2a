"""A real uvicorn server in a background thread, with the fault layer `jimeng-mock serve` installs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from mockserver.app import create_app
from mockserver.faults import FaultMiddleware
from mockserver.runtime import MockRuntime
from mockserver.settings import Settings


@contextmanager
def live_server(**settings: Any) -> Iterator[tuple[str, MockRuntime]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.setdefault("clock", "virtual")
    runtime = MockRuntime(Settings(port=port, **settings))
    app = create_app(runtime=runtime)
    config = uvicorn.Config(
        FaultMiddleware(app, runtime.randomness),
        host="127.0.0.1",
        port=port,
        log_level="critical",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", runtime
    finally:
        server.should_exit = True
        thread.join(timeout=10)
