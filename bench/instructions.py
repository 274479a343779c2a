"""Instructions per request, counted by callgrind (valgrind): a figure the machine's drifting speed cannot move.

The mock and the bare app each run under `valgrind --tool=callgrind` with instrumentation off. For each endpoint,
after a warm-up over one keep-alive connection, instrumentation is switched on (`callgrind_control -i on`) for
`requests` requests sent one after another, then off, and the counts are dumped. The figure is every instruction
the server process ran per request (uvicorn, the event loop and the app), so mock against bare compares the apps
on the same footing; requests go one at a time, so the loop's share is larger than under load.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.endpoints import Endpoint
from bench.load import HttpRequest
from bench.servers import ServerKind, started

WARMUP = 100
START_TIMEOUT = 180.0
KINDS = ("submit", "poll")


def available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None


class CountedServer:
    """A server process under callgrind, its counters switched on only around `count`."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, out: Path) -> None:
        self.process, self.port, self.out = process, port, out
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self._control("-d")  # start from zero

    def count(self, requests: list[HttpRequest], times: int) -> float:
        """Instructions per request over `times` requests cycling through `requests`, after a warm-up."""
        for n in range(WARMUP):
            self._send(requests[n % len(requests)])
        self._control("-i", "on")
        for n in range(times):
            self._send(requests[n % len(requests)])
        self._control("-i", "off")
        return self._dump() / times

    def _send(self, request: HttpRequest) -> None:
        self.connection.request(request.method, request.path, body=request.body or None, headers=request.headers)
        answer = self.connection.getresponse()
        answer.read()
        if answer.status >= 400:
            raise RuntimeError(f"{request.method} {request.path} -> {answer.status}")

    def _dump(self) -> int:
        before = set(self.out.parent.glob(self.out.name + ".*"))
        self._control("-d")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for part in set(self.out.parent.glob(self.out.name + ".*")) - before:
                if (found := re.search(r"^totals: (\d+)", part.read_text(), re.M)) is not None:
                    return int(found.group(1))
            time.sleep(0.1)
        raise RuntimeError("callgrind wrote no counts")

    def _control(self, *args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(self.process.pid)], check=True, capture_output=True)


@contextmanager
def counted(kind: ServerKind, core: int | None) -> Iterator[CountedServer]:
    with tempfile.TemporaryDirectory(prefix="jimeng-mock-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        valgrind = ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}")
        with started(kind, core, START_TIMEOUT, prefix=valgrind) as (port, process):
            server = CountedServer(process, port, out)
            yield server
            server.connection.close()


def instructions_per_request(
    mock: CountedServer, bare: CountedServer, endpoints: list[Endpoint], bare_loads: dict[str, list[HttpRequest]],
    times: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Each submit and poll endpoint against its bare equivalent; `ratio` is bare / mock, as the throughput's is. A
    signed gateway's rows also give the bare app's unsigned load (`bare_unsigned`, `ratio_unsigned`)."""
    # a row with a dashboard open sends the same requests as another row
    counted = [e for e in endpoints if e.kind in KINDS and e.dashboard_task is None]
    keys = sorted({e.bare for e in counted} | {e.bare_unsigned for e in counted if e.bare_unsigned is not None})
    bare_counts = {key: round(bare.count(bare_loads[key], times)) for key in keys}
    rows = []
    for endpoint in counted:
        mine, theirs = round(mock.count(endpoint.mock, times)), bare_counts[endpoint.bare]
        row = {
            "endpoint": endpoint.name, "kind": endpoint.kind, "requests": times, "mock": mine,
            "bare": theirs, "ratio": round(theirs / mine, 3),
        }  # fmt: skip
        if endpoint.bare_unsigned is not None:
            unsigned = bare_counts[endpoint.bare_unsigned]
            row |= {"bare_unsigned": unsigned, "ratio_unsigned": round(unsigned / mine, 3)}
        rows.append(row)
    return rows
