"""Real uvicorn server processes, started the same way for the mock and the bare app, and a cold-start timer.

Both run one worker, access log off, log level warning, and uvicorn's default loop and HTTP
implementations (uvloop and httptools when installed), so the only difference is the app.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import ROOT, HttpRequest, pinned


@dataclass(frozen=True)
class ServerKind:
    name: str
    ready_path: str

    def command(self, port: int, extra: tuple[str, ...] = ()) -> list[str]:
        if self.name == "mock":
            script = Path(sys.executable).with_name("jimeng-mock")
            launcher = [str(script)] if script.exists() else [sys.executable, "-m", "mockserver"]
            return [*launcher, "serve", "--clock", "virtual", "--port", str(port), "--api-key", "sk-bench", *extra]
        return [
            sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip


BENCH_ENV = {"JIMENG_MOCK_MAX_TASKS": str(10**9)}
"""On the virtual clock no task finishes, and a throughput run submits more than the default cap holds."""
MOCK = ServerKind("mock", "/__admin/clock")
BARE = ServerKind("bare", "/clock")


def cores() -> tuple[int | None, int | None]:
    """(server core, load generator core), or (None, None) where pinning is not possible."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return 0, 1
    return None, None


def server_stack() -> dict[str, str]:
    """What uvicorn's defaults resolve to in this environment."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return {"loop": loop, "http": http, "workers": "1", "access_log": "off"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def first_200(port: int, path: str, deadline: float) -> bool:
    while time.perf_counter() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.002)
        finally:
            connection.close()  # a probe that timed out or was refused holds a socket too
    return False


@contextmanager
def started(
    kind: ServerKind, core: int | None, timeout: float = 30.0, extra: tuple[str, ...] = (), prefix: tuple[str, ...] = ()
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The server running (its command after `prefix`, such as valgrind's) and answering: its port and process."""
    port = free_port()
    process = subprocess.Popen(
        pinned([*prefix, *kind.command(port, extra)], core),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **BENCH_ENV},
    )
    try:
        if not first_200(port, kind.ready_path, time.perf_counter() + timeout):
            process.kill()
            raise RuntimeError(f"{kind.name} did not start: {process.communicate()[1].decode()[-2000:]}")
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@contextmanager
def running(kind: ServerKind, core: int | None, timeout: float = 30.0, extra: tuple[str, ...] = ()) -> Iterator[int]:
    with started(kind, core, timeout, extra) as (port, _):
        yield port


def cold_start(kind: ServerKind, core: int | None, launches: int) -> dict[str, Any]:
    """Milliseconds from process launch to the first 200, for each launch; the median is the figure."""
    times = []
    for _ in range(launches):
        started = time.perf_counter()
        with running(kind, core):
            times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "launches_ms": [round(t, 1) for t in times]}


class Client:
    """Setup requests over one keep-alive connection (not part of any measurement)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        payload = None if body is None else json.dumps(body).encode()
        headers = {**({} if payload is None else {"Content-Type": "application/json"}), **(headers or {})}
        return self.send(HttpRequest(method, path, headers, payload or b""))

    def send(self, request: HttpRequest) -> Any:
        """A prepared request as it is (a signed one's body is the bytes signed); its answer, JSON read."""
        method, path = request.method, request.path
        self.connection.request(method, path, body=request.body or None, headers=request.headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} -> {response.status}: {data[:300]!r}")
        return json.loads(data) if data.startswith((b"{", b"[")) else data

    def close(self) -> None:
        self.connection.close()
