"""What Python's cyclic garbage collector costs a submit load, through the in-process app (no socket): the
collections of each generation, the longest and the total pause, and the time per submit, with the served
process's collector settings (`settle_heap`: the start heap frozen, young collections every 50,000 allocations,
what survives a collection frozen) or with `--unfrozen` (the same, but survivors left to the older generations).

    .venv/bin/python -m bench.collector ark 800000
    .venv/bin/python -m bench.collector ark 800000 --unfrozen

Every submit stores a task, so the heap grows as a long submit load makes a served mock's grow.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

from bench.gateways import GATEWAYS
from bench.inprocess import InProcessMock
from mockserver.cli import main as cli


class Pauses:
    """Collections and their lengths, by generation, while installed as a `gc.callbacks` entry."""

    def __init__(self) -> None:
        self.seconds: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]].append(time.perf_counter() - self._started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.collector", description=__doc__.splitlines()[0])
    parser.add_argument("gateway", choices=[gateway.id for gateway in GATEWAYS])
    parser.add_argument("submits", type=int, nargs="?", default=300_000)
    parser.add_argument("--unfrozen", action="store_true", help="leave what survives a collection unfrozen")
    args = parser.parse_args(argv)
    gateway = next(gateway for gateway in GATEWAYS if gateway.id == args.gateway)
    mock = InProcessMock()
    cli.settle_heap()
    if args.unfrozen:
        gc.callbacks.remove(cli.freeze_survivors)
    pauses = Pauses()
    gc.callbacks.append(pauses)
    submit = gateway.submit(mock.runtime.clock.now())
    started = time.perf_counter()
    statuses = {mock.call(submit)[0] for _ in range(args.submits)}
    elapsed = time.perf_counter() - started
    gc.callbacks.remove(pauses)
    older = len(gc.get_objects(generation=1)) + len(gc.get_objects(generation=2))
    print(
        f"{gateway.id}, {args.submits:,} submits ({'unfrozen' if args.unfrozen else 'survivors frozen'}), "
        f"statuses {sorted(statuses)}: {elapsed / args.submits * 1e6:.1f} µs a submit"
    )
    for generation, seconds in pauses.seconds.items():
        print(
            f"  generation {generation}: {len(seconds)} collections, longest {max(seconds, default=0) * 1000:.1f} ms, "
            f"{sum(seconds) * 1000:.0f} ms in all"
        )
    print(f"  objects the older generations' collections would walk: {older:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
