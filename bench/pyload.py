"""A Python load generator, used where wrk is not installed: `python -m bench.pyload PORT PLAN SECONDS CONNECTIONS`.

Each connection sends one request, reads the whole answer (Content-Length framing), and sends the next,
cycling through the plan. It prints one `BENCH-RESULT {json}` line. A Python client is slower than wrk,
so it can be the bottleneck: compare ratios from one run, not absolute figures across generators.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

from bench.load import MARK, HttpRequest

TIMEOUT = 5.0


async def _connection(
    port: int, raws: list[bytes], offset: int, deadline: float, latencies: list[float], errors: list[int]
) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        errors[0] += 1
        return
    index = offset
    try:
        while time.perf_counter() < deadline:
            raw = raws[index % len(raws)]
            index += 1
            started = time.perf_counter()
            writer.write(raw)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await asyncio.wait_for(reader.readexactly(length), TIMEOUT)
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                errors[0] += 1
    except (OSError, asyncio.IncompleteReadError, TimeoutError):
        errors[0] += 1
    finally:
        writer.close()


async def drive(port: int, requests: list[HttpRequest], seconds: float, connections: int) -> dict[str, float]:
    raws = [r.raw(f"127.0.0.1:{port}") for r in requests]
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_connection(port, raws, c, deadline, latencies, errors) for c in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "errors": errors[0],
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
    }


def main(argv: list[str]) -> int:
    port, plan_path, seconds, connections = int(argv[0]), argv[1], float(argv[2]), int(argv[3])
    with open(plan_path) as plan:
        requests = [HttpRequest(r["method"], r["path"], r["headers"], r["body"].encode()) for r in json.load(plan)]
    result = asyncio.run(drive(port, requests, seconds, connections))
    print(MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
