"""Real servers in background threads, with the fault layer `jimeng-mock serve` installs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.types import ASGIApp

from mockserver.gateways.kit.faults import FaultMiddleware
from mockserver.server.app import create_app
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from mockserver.testing.threaded import ServerThread, bind


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Any ASGI app on a free loopback port; yields its base URL."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    thread = ServerThread(app, sock)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        thread.stop()


@contextmanager
def live_server(**settings: Any) -> Iterator[tuple[str, MockRuntime]]:
    """The mock as `serve` runs it (virtual clock unless told otherwise); yields its base URL and runtime."""
    settings.setdefault("clock", "virtual")
    runtime = MockRuntime(Settings(**settings))
    faulty = FaultMiddleware(
        create_app(runtime=runtime), runtime.randomness, hang_limit=runtime.settings.fault_hang_limit
    )
    with serving(faulty) as url:
        yield url, runtime
