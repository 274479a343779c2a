"""A real `jimeng-mock serve` process for the fuzz suite, and a raw HTTP/1.1 client that can send what no HTTP
library will (a lying Content-Length, a folded header, bytes that are not UTF-8)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from mockserver.conformance import Exchange
from mockserver.conformance.response_checks import response_schema_conformance, status_code_documented
from mockserver.contracts.contract import load_contract
from mockserver.gateways import PROVIDER_IDS
from tests.stores.processes import free_port, wait_until

SLOWEST_ANSWER = 5.0
"""Seconds any hostile request may take to be answered (a loaded two-core machine included)."""
SEED = 0
SETTINGS = {
    "JIMENG_MOCK_SEED": str(SEED),  # fixes the key pair the volcengine gateway accepts (tests/fuzz/signed.py)
    "JIMENG_MOCK_MAX_BODY_BYTES": str(1024 * 1024),  # small, so that going past it is quick
}
KEY = {"Authorization": "Bearer sk-fuzz"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names, the last value of each
    raw_headers: list[tuple[str, str]]
    body: bytes
    seconds: float


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def raw(self, data: bytes, *, wait: float = SLOWEST_ANSWER, method: str = "GET") -> Answer | None:
        """Send `data` as is on a new connection; the answer, or None when the server closed without one."""
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", self.port), timeout=wait) as sock:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock, method=method)
            try:
                response.begin()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError):
                return None
            raw_headers = response.getheaders()
        headers = {name.lower(): value for name, value in raw_headers}
        return Answer(response.status, headers, raw_headers, body, time.perf_counter() - started)

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def alive(self) -> bool:
        try:
            return self.process.poll() is None and httpx.get(f"{self.base}/__admin/clock", timeout=5).status_code == 200
        except httpx.TransportError:
            return False


@contextmanager
def served(settings: Mapping[str, str] | None = None) -> Iterator[Served]:
    """`jimeng-mock serve` on the virtual clock with `SETTINGS` (and `settings`) in its environment; its log
    (stderr) goes to a file the test can read."""
    port = free_port()
    env = {**os.environ, **SETTINGS, **(settings or {})}
    with tempfile.NamedTemporaryFile(prefix="jimeng-mock-fuzz-", suffix=".log", delete=False) as log:
        path = Path(log.name)
    command = [sys.executable, "-m", "mockserver", "serve", "--clock", "virtual", "--port", str(port)]
    with path.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file, env=env)
    server = Served(process, port, path)

    def answers() -> bool:
        try:
            return httpx.get(f"{server.base}/__admin/clock", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, process, "jimeng-mock serve")  # type: ignore[arg-type]
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        path.unlink(missing_ok=True)


def in_contract(method: str, path: str, answer: Answer) -> None:
    """The answer holds to the contract of whoever serves `path` (a gateway or the admin API), as the test client
    holds every answer in the rest of the suite."""
    provider, _, rest = path.lstrip("/").partition("/")
    if provider == "__admin":
        contract, rest = load_contract("admin"), path
    elif provider in PROVIDER_IDS:
        contract, rest = load_contract(provider), "/" + rest  # with its query: an Action API routes by it
    else:
        return
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return
    exchange = Exchange(contract, method, rest, answer.status, answer.headers, answer.body)
    status_code_documented(exchange)
    response_schema_conformance(exchange)
