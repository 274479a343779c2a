"""Throughput for each store (memory, SQLite, Redis) with one and two workers: a poll load and a submit
load on the first gateway, on `jimeng-mock serve --store URL --workers N`. A throwaway redis-server is
started on a free loopback port (no persistence), as the store tests do; without one the Redis rows say so.

Each load runs in several slices (the bench's `--rounds`, each `--duration / --rounds` seconds) after one warm-up;
the slice with the median rate is kept, with every slice's rate beside it. Each row also gives its ratio to
memory x 1, measured first in the same run: the machine's speed drifts (other guests on the host), the ratio
much less.

One worker is pinned to the server core like every other row. Two workers are not pinned: on a two-core
machine they share both cores with the load generator, so the two-worker figure shows what a second
process buys (and costs) there, not a second machine's worth of capacity."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.gateways import Gateway
from bench.load import HttpRequest, LoadResult
from bench.servers import MOCK, Client, free_port, running

SEEDED = 100
Measure = Callable[[int, list[HttpRequest], int | None], list[LoadResult]]
"""`measure(port, requests, core)`: the slices of one load (after its warm-up)."""


@contextmanager
def redis_server() -> Iterator[str | None]:
    """The URL of a throwaway redis-server on loopback, or None when redis-server is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _pong(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def store_throughput(gateway: Gateway, measure: Measure, server_core: int | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="jimeng-bench-store-")))
        redis = stack.enter_context(redis_server())
        configs: list[tuple[str, str | None, int]] = [("memory", "memory", 1)]
        for workers in (1, 2):
            configs.append(("sqlite", f"sqlite:///{folder / f'bench-{workers}.db'}", workers))
            configs.append(("redis", None if redis is None else _fresh_db(redis, workers), workers))
        configs.append(("memory", "memory", 2))
        for name, url, workers in configs:
            row: dict[str, Any] = {"store": name, "workers": workers}
            if name == "memory" and workers > 1:
                row["note"] = "refused by serve: an in-memory store is one process's"
            elif url is None:
                row["note"] = "redis-server is not installed"
            else:
                row |= _measure_store(gateway, measure, url, workers, server_core if workers == 1 else None)
            rows.append(row)
    _add_ratios(rows)
    return rows


def _add_ratios(rows: list[dict[str, Any]]) -> None:
    """Each measured row's rates as a share of memory x 1's."""
    memory = next(row for row in rows if row["store"] == "memory" and row["workers"] == 1)
    for row in rows:
        if "poll" in row:
            row["ratio_to_memory"] = {
                load: round(row[load]["rps"] / memory[load]["rps"], 2) if memory[load]["rps"] else 0.0
                for load in ("poll", "submit")
            }


def _fresh_db(url: str, workers: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{workers}"


def _measure_store(gateway: Gateway, measure: Measure, url: str, workers: int, core: int | None) -> dict[str, Any]:
    extra = ("--store", url, "--workers", str(workers))
    with running(MOCK, core, extra=extra) as port:
        client = Client(port)
        now = float(client.call("GET", "/__admin/clock")["now"])  # the virtual clock's: it stands still
        ids = [gateway.task_id(client.send(gateway.submit(now))) for _ in range(SEEDED)]
        client.close()
        polls = [gateway.poll(task_id, now) for task_id in ids]
        submit = [gateway.submit(now)]
        poll_slices, submit_slices = measure(port, polls, core), measure(port, submit, core)
    return {
        "pinned": core is not None,
        "poll": _median_slice(poll_slices),
        "submit": _median_slice(submit_slices),
    }


def median_slice(slices: list[LoadResult]) -> LoadResult:
    """The slice whose rate is the median (the lower one of an even count)."""
    ranked = sorted(slices, key=lambda result: result.rps)
    return ranked[(len(ranked) - 1) // 2]


def _median_slice(slices: list[LoadResult]) -> dict[str, Any]:
    return median_slice(slices).to_dict() | {
        "slices_rps": [round(result.rps, 1) for result in slices],
        "errors_in_all_slices": sum(result.errors for result in slices),
    }
