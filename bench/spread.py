"""How a poll load's connections spread over the workers of `jimeng-mock serve --workers N`: after each one-second
slice of wrk's 32 connections (each slice opens them anew), the slice's rate and how many of the journal's last
1,000 entries each worker served.

    .venv/bin/python -m bench.spread sqlite 2 12
    .venv/bin/python -m bench.spread redis://127.0.0.1:6399/15 2 12

`sqlite` is a fresh file in a temporary folder; the load generator runs on the second core, the workers where the
kernel puts them.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
from pathlib import Path

from bench.gateways import GATEWAYS
from bench.load import load_generator, run_load
from bench.servers import MOCK, Client, cores, running
from bench.stores import SEEDED

JOURNAL_SAMPLE = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spread", description=__doc__.splitlines()[0])
    parser.add_argument("store", help="sqlite (a fresh file) or a store URL")
    parser.add_argument("workers", type=int)
    parser.add_argument("slices", type=int, nargs="?", default=12)
    args = parser.parse_args(argv)
    generator, gateway = load_generator("auto"), GATEWAYS[0]
    _, load_core = cores()
    with tempfile.TemporaryDirectory(prefix="jimeng-bench-spread-") as folder:
        store = f"sqlite:///{Path(folder) / 'spread.db'}" if args.store == "sqlite" else args.store
        with running(MOCK, None, extra=("--store", store, "--workers", str(args.workers))) as port:
            client = Client(port)
            now = float(client.call("GET", "/__admin/clock")["now"])
            polls = [gateway.poll(gateway.task_id(client.send(gateway.submit(now))), now) for _ in range(SEEDED)]
            run_load(generator, port, polls, 0.5, load_core)
            for _ in range(args.slices):
                result = run_load(generator, port, polls, 1.0, load_core)
                entries = client.call("GET", f"/__admin/journal?limit={JOURNAL_SAMPLE}")["entries"]
                served = sorted(collections.Counter(entry["worker"] for entry in entries).values())
                print(f"{result.rps:8,.0f} polls/s, the last {len(entries):,} served {served}", flush=True)
            client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
