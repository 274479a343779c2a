"""`python -m bench`: the whole benchmark. Prints a table and writes bench/results/<timestamp>.json."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import inprocess, instructions
from bench.dashboard import dashboard_open
from bench.endpoints import Endpoint, bare_file, prepare_bare, prepare_mock
from bench.gateways import GATEWAYS, Gateway
from bench.load import CONNECTIONS, HttpRequest, LoadResult, load_generator, run_load, run_together
from bench.report import render, render_stores, targets
from bench.servers import BARE, MOCK, Client, cold_start, cores, running, server_stack
from bench.stores import store_throughput
from mockserver.gateways import PROVIDER_IDS

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per endpoint and app (default 8)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=8,
        help="side-by-side slices, and alternating pairs of slices, per endpoint (default 8)",
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
    parser.add_argument(
        "--mp4-limit", type=int, default=None, help="time only the first N videos and N pictures of each gateway"
    )
    parser.add_argument("--no-stores", action="store_true", help="skip the stores x workers throughput")
    parser.add_argument(
        "--stores-only", action="store_true", help="only the stores x workers throughput (a quick look at it)"
    )
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
            f"ratio: median of {args.rounds} slices of {args.duration / args.rounds:g} s with both apps loaded at once "
            f"on the server core; req/s and latency: {args.rounds} alternating pairs of slices (bare, then mock), "
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
    if args.stores_only:
        result["stores"] = _stores(args, gateways, generator, server_core)
        print(render_stores(result["stores"]), flush=True)
        return 0
    result["cold_start"] = {kind.name: cold_start(kind, server_core, args.launches) for kind in (MOCK, BARE)}
    _say(f"cold start (ms, median of {args.launches}): {json.dumps(result['cold_start'])}")
    result["endpoints"], result["side_by_side_control"] = _throughput(args, gateways, generator, server_core, load_core)
    if args.instructions > 0 and instructions.available():
        result["instructions"] = _instructions(args.instructions, gateways, server_core)
    elif args.instructions > 0:
        _say("instructions per request: valgrind is not installed (bench/setup.sh installs it where it can)")
    if not args.no_stores:
        result["stores"] = _stores(args, gateways, generator, server_core)
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
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows of the table, and the side-by-side method's control (the bare app against a second bare app)."""
    slice_seconds = args.duration / args.rounds

    def measure(port: int, requests: Any, first: bool) -> LoadResult:
        if first and args.warmup > 0:
            run_load(generator, port, requests, args.warmup, load)
        return run_load(generator, port, requests, slice_seconds, load)

    def together(bare: tuple[int, Any], mine: tuple[int, Any]) -> list[float]:
        return side_by_side(generator, bare, mine, slice_seconds, args.rounds, load)

    rows = []
    with running(MOCK, server) as mock_port, running(BARE, server) as bare_port, running(BARE, server) as twin_port:
        endpoints, media_size, bare_loads = _prepared(mock_port, bare_port, gateways)
        bare_loads |= bare_file(media_size)
        twin_loads = _seeded_bare(twin_port)
        control_ratios = together((bare_port, bare_loads["poll"]), (twin_port, twin_loads["poll"]))
        control = {"load": "poll", "ratio": _median(control_ratios), "ratios": control_ratios}
        _say(f"  side-by-side control, bare against a second bare app: {json.dumps(control)}")
        for endpoint in endpoints:
            with ExitStack() as stack:
                pages = []
                if endpoint.dashboard_task is not None:
                    pages = stack.enter_context(dashboard_open(mock_port, endpoint.dashboard_task))
                pairs = [
                    (measure(bare_port, bare_loads[endpoint.bare], i == 0), measure(mock_port, endpoint.mock, i == 0))
                    for i in range(args.rounds)
                ]
                ratios = together((bare_port, bare_loads[endpoint.bare]), (mock_port, endpoint.mock))
                unsigned = []
                if endpoint.bare_unsigned is not None:
                    unsigned = together((bare_port, bare_loads[endpoint.bare_unsigned]), (mock_port, endpoint.mock))
            bare, mine = median_pair(pairs)
            spread = sorted(round(m.rps / b.rps, 2) if b.rps else 0.0 for b, m in pairs)
            row: dict[str, Any] = {"endpoint": endpoint.name, "kind": endpoint.kind, "bare_load": endpoint.bare}
            if pages:
                row["dashboard"] = [page.figures() for page in pages]
            row |= {"mock": mine.to_dict(), "bare": bare.to_dict(), "ratio": _median(ratios)}
            row |= {"side_by_side_ratios": ratios, "ratio_alone": round(mine.rps / bare.rps, 2)}
            if unsigned:
                row |= {"bare_unsigned_load": endpoint.bare_unsigned, "ratio_unsigned": _median(unsigned)}
                row |= {"side_by_side_ratios_unsigned": unsigned}
            rows.append(row | {"pair_ratios": spread})
            _say(
                f"  {endpoint.name}: {mine.rps:,.0f} req/s (bare {endpoint.bare}: {bare.rps:,.0f}), "
                f"p50 {mine.p50_ms:.2f} ms, p99 {mine.p99_ms:.2f} ms, errors {mine.errors}, "
                f"ratio side by side {row['ratio']:.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f}), "
                f"alone {row['ratio_alone']:.2f} ({spread[0]:.2f}-{spread[-1]:.2f})"
                + (f", side by side with bare {endpoint.bare_unsigned} {row['ratio_unsigned']:.2f}" if unsigned else "")
            )
    return rows, control


def side_by_side(
    generator: str,
    bare: tuple[int, Any],
    mine: tuple[int, Any],
    seconds: float,
    rounds: int,
    core: int | None,
) -> list[float]:
    """The ratios (mine / bare, sorted) of `rounds` slices in which both servers are loaded at once, each by its
    own generator, the one started first alternating. The two servers share one core, so each slice's ratio is
    that of their costs per request, and a slowdown of the machine (other guests on the host) hits both alike."""
    ratios = []
    for i in range(rounds):
        first_bare = i % 2 == 0
        results = run_together(generator, [bare, mine] if first_bare else [mine, bare], seconds, core)
        bare_result, mine_result = results if first_bare else results[::-1]
        ratios.append(round(mine_result.rps / bare_result.rps, 3) if bare_result.rps else 0.0)
    return sorted(ratios)


def _median(ratios: list[float]) -> float:
    return round(statistics.median(ratios), 2)


def _seeded_bare(port: int) -> dict[str, list[HttpRequest]]:
    """A bare app seeded: its loads by key."""
    client = Client(port)
    try:
        return prepare_bare(client)
    finally:
        client.close()


def _prepared(
    mock_port: int, bare_port: int, gateways: tuple[Gateway, ...]
) -> tuple[list[Endpoint], int, dict[str, list[HttpRequest]]]:
    """Both servers seeded: the mock's endpoints, its media file's size, and the bare app's loads by key."""
    mock_client = Client(mock_port)
    try:
        endpoints, media_size = prepare_mock(mock_client, gateways)
    finally:
        mock_client.close()
    return endpoints, media_size, _seeded_bare(bare_port)


def _instructions(times: int, gateways: tuple[Gateway, ...], core: int | None) -> list[dict[str, Any]]:
    with instructions.counted(MOCK, core) as mock, instructions.counted(BARE, core) as bare:
        endpoints, _, bare_loads = _prepared(mock.port, bare.port, gateways)
        rows = instructions.instructions_per_request(mock, bare, endpoints, bare_loads, times)
    for row in rows:
        _say(
            f"  {row['endpoint']}: {row['mock']:,} instructions per request "
            f"(bare: {row['bare']:,}), ratio {row['ratio']}"
            + (
                f"; bare unsigned {row['bare_unsigned']:,}, ratio {row['ratio_unsigned']}"
                if "bare_unsigned" in row
                else ""
            )
        )
    return rows


def median_pair(pairs: list[tuple[LoadResult, LoadResult]]) -> tuple[LoadResult, LoadResult]:
    """The (bare, mock) pair of adjacent slices whose ratio is the median (the lower one of an even count).
    The machine's speed drifts over seconds (other guests on the host): slices next to each other see the same
    speed, so their ratio holds where each app's best slice, taken from different moments, would not."""
    ranked = sorted(pairs, key=lambda pair: pair[1].rps / pair[0].rps if pair[0].rps else 0.0)
    return ranked[(len(ranked) - 1) // 2]


def _stores(
    args: argparse.Namespace, gateways: tuple[Gateway, ...], generator: str, server_core: int | None
) -> list[dict[str, Any]]:
    rows = store_throughput(gateways[0], _store_measure(args, generator), server_core)
    for row in rows:
        _say(f"store {row['store']} x {row['workers']}: {json.dumps(row)}")
    return rows


def _store_measure(args: argparse.Namespace, generator: str) -> Any:
    _, load_core = cores()

    def measure(port: int, requests: Any, server_core: int | None) -> list[LoadResult]:
        load = load_core if server_core is not None else None
        if args.warmup > 0:
            run_load(generator, port, requests, args.warmup, load)
        return [run_load(generator, port, requests, args.duration / args.rounds, load) for _ in range(args.rounds)]

    return measure


def _in_process(args: argparse.Namespace, gateways: tuple[Gateway, ...]) -> dict[str, Any]:
    """Memory per task for every gateway; the poll cost against store size (a million tasks) for the first,
    as the engine and store under it are the same for all."""
    small, large = (int(n) for n in args.store_sizes.split(","))
    figures: dict[str, Any] = {"memory": {}, "poll_cost": {}, "mp4": {}, "pictures": {}, "image_to_video": {}}
    for gw in gateways:
        figures["memory"][gw.id] = inprocess.memory_per_task(gw, args.memory_tasks)
        _say(f"memory ({gw.id}): {json.dumps(figures['memory'][gw.id])}")
        if gw is gateways[0]:
            figures["poll_cost"][gw.id] = inprocess.poll_cost(gw, small, large, args.polls)
            _say(f"poll cost ({gw.id}): {json.dumps(figures['poll_cost'][gw.id])}")
        if gw.outputs:
            figures["mp4"][gw.id] = inprocess.mp4_figures(gw, args.mp4_limit)
            if not figures["image_to_video"]:
                figures["image_to_video"][gw.id] = inprocess.image_to_video_figures(gw)
        if gw.pictures:
            figures["pictures"][gw.id] = inprocess.picture_figures(gw, args.mp4_limit)
    return figures


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
