"""Drive a server with a load generator in its own process: wrk where installed, else bench.pyload.

A load is a list of HTTP requests that every connection cycles through, so a mixed flow (one submit
per twenty polls) is simply a list with one submit and twenty polls in it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = "BENCH-RESULT "
CONNECTIONS = 32


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def raw(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    """Connection errors, timeouts and answers outside 2xx/3xx."""
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"rps": round(self.rps, 1)}


def load_generator(prefer: str = "auto") -> str:
    """'wrk' when it is installed (and not refused), else 'python'."""
    if prefer in ("auto", "wrk") and shutil.which("wrk"):
        return "wrk"
    return "python"


def pinned(command: list[str], core: int | None) -> list[str]:
    return ["taskset", "-c", str(core), *command] if core is not None else command


def run_load(generator: str, port: int, requests: list[HttpRequest], seconds: float, core: int | None) -> LoadResult:
    [result] = run_together(generator, [(port, requests)], seconds, core)
    return result


def run_together(
    generator: str, loads: list[tuple[int, list[HttpRequest]]], seconds: float, core: int | None
) -> list[LoadResult]:
    """Each (port, requests) load driven by its own generator process, all started at once on `core`;
    their results in the same order."""
    with ExitStack() as stack:
        commands = [stack.enter_context(_load_command(generator, port, requests, seconds)) for port, requests in loads]
        processes = [
            subprocess.Popen(pinned(command, core), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for command in commands
        ]
        outputs = [process.communicate(timeout=seconds + 60) for process in processes]
    return [parse_result(stdout, stderr) for stdout, stderr in outputs]


@contextmanager
def _load_command(generator: str, port: int, requests: list[HttpRequest], seconds: float) -> Iterator[list[str]]:
    with tempfile.TemporaryDirectory(prefix="jimeng-bench-") as folder:
        if generator == "wrk":
            script = Path(folder) / "load.lua"
            script.write_text(wrk_script(requests))
            duration = f"{max(1, round(seconds))}s"  # wrk counts whole seconds
            yield ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}", "-s", str(script), f"http://127.0.0.1:{port}"]
        else:
            plan = Path(folder) / "plan.json"
            plan.write_text(json.dumps([_encode(r) for r in requests]))
            yield [sys.executable, "-m", "bench.pyload", str(port), str(plan), str(seconds), str(CONNECTIONS)]


def parse_result(stdout: str, stderr: str = "") -> LoadResult:
    for line in stdout.splitlines():
        if line.startswith(MARK):
            fields = json.loads(line[len(MARK) :])
            return LoadResult(
                requests=int(fields["requests"]),
                seconds=float(fields["seconds"]),
                errors=int(fields["errors"]),
                p50_ms=float(fields["p50_ms"]),
                p99_ms=float(fields["p99_ms"]),
            )
    raise RuntimeError(f"the load generator reported nothing:\n{stdout}\n{stderr}")


def wrk_script(requests: list[HttpRequest]) -> str:
    """A wrk Lua script that cycles through `requests` and prints one JSON line when done."""
    entries = []
    for request in requests:
        headers = ", ".join(
            f"[{_lua(name.encode())}] = {_lua(value.encode())}" for name, value in request.headers.items()
        )
        body = _lua(request.body) if request.body else "nil"
        entries.append(
            f"  wrk.format({_lua(request.method.encode())}, {_lua(request.path.encode())}, {{{headers}}}, {body}),"
        )
    return "\n".join(
        [
            "local requests = {}",
            "local i = 0",
            "function init(args)",
            "  requests = {",
            *entries,
            "  }",
            "end",
            "function request()",
            "  i = i % #requests + 1",
            "  return requests[i]",
            "end",
            "function done(summary, latency, requests)",
            "  local e = summary.errors",
            "  local errors = e.connect + e.read + e.write + e.status + e.timeout",
            f'  io.write(string.format("{MARK}{{\\"requests\\": %d, \\"seconds\\": %.6f, \\"errors\\": %d, '
            '\\"p50_ms\\": %.4f, \\"p99_ms\\": %.4f}\\n", summary.requests, summary.duration / 1e6, errors, '
            "latency:percentile(50) / 1000, latency:percentile(99) / 1000))",
            "end",
            "",
        ]
    )


def _lua(data: bytes) -> str:
    return '"' + "".join(chr(b) if chr(b).isalnum() or chr(b) in " /-_.:=?&,{}[]" else f"\\{b:03d}" for b in data) + '"'


def _encode(request: HttpRequest) -> dict[str, Any]:
    return {"method": request.method, "path": request.path, "headers": request.headers, "body": request.body.decode()}
