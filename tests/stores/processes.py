"""Real processes for the store tests: a redis-server on a free loopback port, and `jimeng-mock serve`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(ready: object, process: subprocess.Popen[str], what: str) -> None:
    """Poll `ready()` until it is true; fail at once if the process dies, or after STARTUP_SECONDS."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while not ready():  # type: ignore[operator]
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}: {process.communicate()[1]}")
        assert time.monotonic() < deadline, f"{what} did not start in {STARTUP_SECONDS} s"
        time.sleep(0.05)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server (no persistence) on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed: `make test` installs it (apt-get install redis-server)"
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_until(answers, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.communicate(timeout=10)


@dataclass
class Served:
    """One `jimeng-mock serve` process."""

    process: subprocess.Popen[str]
    base: str

    def kill(self) -> None:
        """`kill -9`: no shutdown, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=10)

    def stop(self) -> int:
        """SIGTERM, as a process manager stops a service: in-flight requests finish, the store is flushed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=30)
        return self.process.returncode


def start(*args: str) -> Served:
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port), *args]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/__admin/clock", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answers, process, "jimeng-mock serve")
    return Served(process, base)


@contextmanager
def serving(*args: str) -> Iterator[Served]:
    served = start(*args)
    try:
        yield served
    finally:
        served.stop()
