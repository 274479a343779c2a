"""What a submit and a poll ask of a store, through the in-process app (no socket): Redis round trips and the
commands Redis runs for them (`INFO commandstats`, scripts' inner commands included), SQLite statements by kind;
then the CPU time the process spends per request (every thread's, `time.process_time`) with 32 requests in flight
at once, as `make bench` keeps 32 connections busy, and with Redis redis-server's own (`INFO cpu`). CPU time is what
a server pinned to one core runs out of, and the machine's load moves it far less than a rate.

    .venv/bin/python -m bench.roundtrips redis://127.0.0.1:6379/15 2000
    .venv/bin/python -m bench.roundtrips sqlite:////tmp/roundtrips.db 2000
    .venv/bin/python -m bench.roundtrips memory 2000

The Redis database named is emptied first. Polls read running tasks (3 s after their submit).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.gateways import GATEWAYS
from bench.inprocess import InProcessMock
from bench.load import HttpRequest

SEEDED = 50
SEQUENTIAL = 200
"""Requests counted one after another for the round trips and statements."""
CONCURRENCY = 32


class Tally:
    """Redis round trips (writes) and SQLite statements, while switched on."""

    def __init__(self) -> None:
        self.on = False
        self.trips = 0
        self.statements: collections.Counter[str] = collections.Counter()


@contextmanager
def tallied(url: str) -> Iterator[Tally]:
    tally = Tally()
    if url.startswith("sqlite:"):
        yield tally
        return
    import redis

    patched: list[tuple[Any, str, Any]] = [(redis.connection.Connection, "send_packed_command", None)]
    try:
        from mockserver.stores import pipelined

        patched.append((pipelined._Protocol, "flush", None))  # one write: the commands of one round trip
    except ImportError:  # a tree without the pipelined client (the bench run on an older commit)
        pass
    for n, (cls, name, _) in enumerate(patched):
        original = getattr(cls, name)
        patched[n] = (cls, name, original)
        setattr(cls, name, _counting(tally, original))
    try:
        yield tally
    finally:
        for cls, name, original in patched:
            setattr(cls, name, original)


def _counting(tally: Tally, original: Any) -> Any:
    def counted(*args: Any, **kwargs: Any) -> Any:
        if tally.on:
            tally.trips += 1
        return original(*args, **kwargs)

    return counted


@contextmanager
def traced_sqlite(tally: Tally) -> Iterator[None]:
    """Count every statement of every SQLite connection opened meanwhile."""
    connect = sqlite3.connect

    def trace(statement: str) -> None:
        if tally.on:
            tally.statements[statement.split(None, 1)[0].upper()] += 1

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = connect(*args, **kwargs)
        connection.set_trace_callback(trace)
        return connection

    sqlite3.connect = traced  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.connect = connect


def _commandstats(url: str) -> dict[str, int]:
    import redis

    with redis.Redis.from_url(url) as client:
        stats: dict[str, Any] = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def _server_cpu(url: str) -> float:
    """The CPU seconds redis-server has spent since it started (`INFO cpu`: its own and its threads')."""
    import redis

    with redis.Redis.from_url(url) as client:
        stats: dict[str, Any] = client.info("cpu")
    return float(stats["used_cpu_user"]) + float(stats["used_cpu_sys"])


def _flush(url: str) -> None:
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushdb()


def measure(url: str, kind: str, requests: int) -> dict[str, Any]:
    gateway = GATEWAYS[0]
    if url.startswith("redis"):
        _flush(url)
    with tallied(url) as tally, traced_sqlite(tally):
        mock = InProcessMock(store=url)
        now = mock.runtime.clock.now()
        ids = [gateway.task_id(json.loads(mock.call(gateway.submit(now))[1])) for _ in range(SEEDED)]
        mock.runtime.clock.advance(3)
        now = mock.runtime.clock.now()
        calls = [gateway.submit(now)] if kind == "submit" else [gateway.poll(task_id, now) for task_id in ids]
        before = _commandstats(url) if url.startswith("redis") else {}
        tally.on = True
        for n in range(SEQUENTIAL):
            mock.call(calls[n % len(calls)])
        tally.on = False
        after = _commandstats(url) if url.startswith("redis") else {}
        sequential_trips, sequential_statements = tally.trips, tally.statements.copy()
        server_before = _server_cpu(url) if url.startswith("redis") else 0.0
        tally.on = True
        cpu = _concurrent_cpu(mock, calls, requests)
        tally.on = False
        server_cpu = _server_cpu(url) - server_before if url.startswith("redis") else 0.0
        mock.runtime.close()
        mock.close()
    result: dict[str, Any] = {"store": url.split(":", 1)[0], "kind": kind}
    result["cpu_us_per_request"] = round(cpu / requests * 1e6, 1)
    concurrent_statements = tally.statements - sequential_statements
    if url.startswith("redis"):
        result["round_trips"] = round(sequential_trips / SEQUENTIAL, 2)
        result["writes_32_in_flight"] = round((tally.trips - sequential_trips) / requests, 2)
        result["redis_server_cpu_us_per_request"] = round(server_cpu / requests * 1e6, 1)
        result["commands"] = {
            name: round((calls - before.get(name, 0)) / SEQUENTIAL, 2)
            for name, calls in sorted(after.items())
            if calls > before.get(name, 0) and name not in ("info", "select", "hello", "script|load")
        }
    elif url.startswith("sqlite"):
        result["statements"] = {name: round(n / SEQUENTIAL, 2) for name, n in sorted(sequential_statements.items())}
        result["commits_32_in_flight"] = round(concurrent_statements["COMMIT"] / requests, 2)
    return result


def _concurrent_cpu(mock: InProcessMock, calls: list[HttpRequest], requests: int) -> float:
    """CPU seconds of the whole process for `requests` requests, CONCURRENCY at a time."""

    async def client(first: int) -> None:
        for n in range(first, requests, CONCURRENCY):
            status, _ = await mock._call(calls[n % len(calls)])
            assert status == 200, status

    async def all_clients() -> None:
        await asyncio.gather(*(client(n) for n in range(CONCURRENCY)))

    started = time.process_time()
    mock.loop.run_until_complete(all_clients())
    return time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__.splitlines()[0])
    parser.add_argument("store", help="memory, or a redis:// or sqlite:/// URL (a Redis database is emptied first)")
    parser.add_argument("requests", type=int, nargs="?", default=2000, help="requests timed, 32 at a time")
    args = parser.parse_args(argv)
    for kind in ("poll", "submit"):
        print(json.dumps(measure(args.store, kind, args.requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
