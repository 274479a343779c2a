"""`python -m bench`: the whole benchmark. Prints a table and writes bench/results/<timestamp>.json."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from bench import inprocess, instructions
from bench.endpoints import Endpoint, bare_file, prepare_bare, prepare_mock
from bench.gateways import GATEWAYS, Gateway
from bench.load import CONNECTIONS, HttpRequest, LoadResult, load_generator, run_load
from bench.report import render, targets
from bench.servers import BARE, MOCK, Client, cold_start, cores, running, server_stack
from bench.stores import store_throughput
from mockserver.providers import PROVIDER_IDS

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per endpoint and app (default 8)")
    parser.add_argument(
        "--rounds", type=int, default=8, help="alternating pairs of slices per endpoint, median pair kept (default 8)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.5,
        help="seconds of unmeasured load before an endpoint's first slice, per app (default 0.5)",
    )
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    parser.add_argument("--launches", type=int, default=7, help="cold-start launches per server (median kept)")
    parser.add_argument("--memory-tasks", type=int, default=100_000, help="tasks stored for the memory figure")
    parser.add_argument("--store-sizes", default="1000,1000000", help="the two store sizes of the poll-cost figure")
    parser.add_argument("--polls", type=int, default=20_000, help="polls timed at each store size")
    parser.add_argument("--mp4-limit", type=int, default=None, help="time only the first N outputs of each gateway")
    parser.add_argument("--no-stores", action="store_true", help="skip the stores x workers throughput")
    parser.add_argument(
        "--instructions",
        type=int,
        default=300,
        help="requests counted per endpoint under callgrind, where valgrind is installed (default 300; 0: skip)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON result")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    gateways = tuple(gw for gw in GATEWAYS if gw.id in PROVIDER_IDS)
    generator = load_generator(args.load)
    server_core, load_core = cores()
    setup = {
        "load_generator": generator,
        "connections": CONNECTIONS,
        "seconds_per_endpoint": args.duration,
        "rounds": (
            f"{args.rounds} alternating pairs of {args.duration / args.rounds:g} s slices (bare, then mock), "
            "the pair with the median ratio kept"
        ),
        "server": server_stack(),
        "pinning": f"server on core {server_core}, load on core {load_core}" if server_core is not None else "none",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    _say(f"jimeng-mock bench: {json.dumps(setup)}")
    if generator == "python":
        reason = "as asked (--load python)" if args.load == "python" else "as wrk is not installed"
        _say(f"load generator: Python (bench.pyload) in a separate process, {reason};")
        _say("  it can be slower than the server: compare the ratios, not the absolute figures")
    result: dict[str, Any] = {"setup": setup, "gateways": [gw.id for gw in gateways]}
    result["cold_start"] = {kind.name: cold_start(kind, server_core, args.launches) for kind in (MOCK, BARE)}
    _say(f"cold start (ms, median of {args.launches}): {json.dumps(result['cold_start'])}")
    result["endpoints"] = _throughput(args, gateways, generator, server_core, load_core)
    if args.instructions > 0 and instructions.available():
        result["instructions"] = _instructions(args.instructions, gateways, server_core)
    elif args.instructions > 0:
        _say("instructions per request: valgrind is not installed (bench/setup.sh installs it where it can)")
    if not args.no_stores:
        result["stores"] = store_throughput(gateways[0], _store_measure(args, generator), server_core)
        for row in result["stores"]:
            _say(f"store {row['store']} x {row['workers']}: {json.dumps(row)}")
    result.update(_in_process(args, gateways))
    result["targets"] = targets(result)
    print(render(result), flush=True)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    _say(f"written {path}")
    return 0


def _throughput(
    args: argparse.Namespace, gateways: tuple[Gateway, ...], generator: str, server: int | None, load: int | None
) -> list[dict[str, Any]]:
    def measure(port: int, requests: Any, first: bool) -> LoadResult:
        if first and args.warmup > 0:
            run_load(generator, port, requests, args.warmup, load)
        return run_load(generator, port, requests, args.duration / args.rounds, load)

    rows = []
    with running(MOCK, server) as mock_port, running(BARE, server) as bare_port:
        endpoints, media_size, bare_loads = _prepared(mock_port, bare_port, gateways)
        bare_loads |= bare_file(media_size)
        for endpoint in endpoints:
            pairs = [
                (measure(bare_port, bare_loads[endpoint.bare], i == 0), measure(mock_port, endpoint.mock, i == 0))
                for i in range(args.rounds)
            ]
            bare, mine = median_pair(pairs)
            spread = sorted(round(m.rps / b.rps, 2) if b.rps else 0.0 for b, m in pairs)
            row: dict[str, Any] = {"endpoint": endpoint.name, "kind": endpoint.kind, "bare_load": endpoint.bare}
            row |= {"mock": mine.to_dict(), "bare": bare.to_dict(), "ratio": round(mine.rps / bare.rps, 2)}
            rows.append(row | {"pair_ratios": spread})
            _say(
                f"  {endpoint.name}: {mine.rps:,.0f} req/s (bare {endpoint.bare}: {bare.rps:,.0f}), "
                f"p50 {mine.p50_ms:.2f} ms, p99 {mine.p99_ms:.2f} ms, errors {mine.errors}, "
                f"ratios of the pairs {spread[0]:.2f}-{spread[-1]:.2f}"
            )
    return rows


def _prepared(
    mock_port: int, bare_port: int, gateways: tuple[Gateway, ...]
) -> tuple[list[Endpoint], int, dict[str, list[HttpRequest]]]:
    """Both servers seeded: the mock's endpoints, its media file's size, and the bare app's loads by key."""
    mock_client, bare_client = Client(mock_port), Client(bare_port)
    try:
        endpoints, media_size = prepare_mock(mock_client, gateways)
        return endpoints, media_size, prepare_bare(bare_client)
    finally:
        mock_client.close()
        bare_client.close()


def _instructions(times: int, gateways: tuple[Gateway, ...], core: int | None) -> list[dict[str, Any]]:
    with instructions.counted(MOCK, core) as mock, instructions.counted(BARE, core) as bare:
        endpoints, _, bare_loads = _prepared(mock.port, bare.port, gateways)
        rows = instructions.instructions_per_request(mock, bare, endpoints, bare_loads, times)
    for row in rows:
        _say(
            f"  {row['endpoint']}: {row['mock']:,} instructions per request "
            f"(bare: {row['bare']:,}), ratio {row['ratio']}"
        )
    return rows


def median_pair(pairs: list[tuple[LoadResult, LoadResult]]) -> tuple[LoadResult, LoadResult]:
    """The (bare, mock) pair of adjacent slices whose ratio is the median (the lower one of an even count).
    The machine's speed drifts over seconds (other guests on the host): slices next to each other see the same
    speed, so their ratio holds where each app's best slice, taken from different moments, would not."""
    ranked = sorted(pairs, key=lambda pair: pair[1].rps / pair[0].rps if pair[0].rps else 0.0)
    return ranked[(len(ranked) - 1) // 2]


def _store_measure(args: argparse.Namespace, generator: str) -> Any:
    _, load_core = cores()

    def measure(port: int, requests: Any, server_core: int | None) -> LoadResult:
        load = load_core if server_core is not None else None
        if args.warmup > 0:
            run_load(generator, port, requests, args.warmup, load)
        return run_load(generator, port, requests, args.duration / args.rounds, load)

    return measure


def _in_process(args: argparse.Namespace, gateways: tuple[Gateway, ...]) -> dict[str, Any]:
    """Memory per task for every gateway; the poll cost against store size (a million tasks) for the first,
    as the engine and store under it are the same for all."""
    small, large = (int(n) for n in args.store_sizes.split(","))
    figures: dict[str, Any] = {"memory": {}, "poll_cost": {}, "mp4": {}}
    for gw in gateways:
        figures["memory"][gw.id] = inprocess.memory_per_task(gw, args.memory_tasks)
        _say(f"memory ({gw.id}): {json.dumps(figures['memory'][gw.id])}")
        if gw is gateways[0]:
            figures["poll_cost"][gw.id] = inprocess.poll_cost(gw, small, large, args.polls)
            _say(f"poll cost ({gw.id}): {json.dumps(figures['poll_cost'][gw.id])}")
        if gw.outputs:
            figures["mp4"][gw.id] = inprocess.mp4_figures(gw, args.mp4_limit)
    return figures


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
