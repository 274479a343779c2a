"""Instructions per request through the in-process app, counted by callgrind: a quick, load-proof comparison of two
versions of the request path, without servers or a quiet machine.

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/counted.out \\
        .venv/bin/python -m bench.counted crazyrouter submit 200

The script warms the app up (30 submits, then 100 submits and 100 polls), switches callgrind's counters on
(`callgrind_control -i on`) for `requests` submits or polls, then off. The instructions of those requests are in the
dump's `totals:` line (the parts written at exit hold the rest at zero); divide by `requests`. `poll` reads tasks 3 s
after submit (running), `finished` after six hours (a finished task's kept answer). Counts repeat to about 1 %
between runs. The figure is the app alone (no uvicorn, no socket), so a change weighs more here than in `make bench`'s
whole-process counts.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys

from bench.gateways import FINISHED_AFTER, GATEWAYS
from bench.inprocess import InProcessMock

WARM_SUBMITS = 30
WARM_ROUNDS = 100


def _control(flag: str) -> None:
    """Switch callgrind's counters; outside callgrind (no such process to control) nothing happens."""
    if shutil.which("callgrind_control"):
        subprocess.run(["callgrind_control", "-i", flag, str(os.getpid())], check=False, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.counted", description=__doc__.splitlines()[0])
    parser.add_argument("gateway", choices=[gateway.id for gateway in GATEWAYS])
    parser.add_argument("kind", choices=["submit", "poll", "finished"])
    parser.add_argument("requests", type=int, nargs="?", default=200)
    parser.add_argument("--store", default="memory", help="the store URL (memory, sqlite:///file, redis://...)")
    args = parser.parse_args(argv)
    gateway = next(gateway for gateway in GATEWAYS if gateway.id == args.gateway)
    mock = InProcessMock(store=args.store)
    clock = mock.runtime.clock
    ids = []
    for _ in range(WARM_SUBMITS):
        status, answer = mock.call(gateway.submit(clock.now()))
        if status == 200:
            ids.append(gateway.task_id(json.loads(answer)))
    clock.advance(FINISHED_AFTER if args.kind == "finished" else 3)
    submit = gateway.submit(clock.now())  # the virtual clock stands still from here: a signed date stays valid
    polls = [gateway.poll(task_id, clock.now()) for task_id in ids]
    for n in range(WARM_ROUNDS):
        mock.call(polls[n % len(polls)])
        mock.call(submit)
    statuses: collections.Counter[int] = collections.Counter()
    _control("on")
    for n in range(args.requests):
        status, _ = mock.call(submit if args.kind == "submit" else polls[n % len(polls)])
        statuses[status] += 1
    _control("off")
    mock.close()
    print(f"{gateway.id} {args.kind}: {args.requests} requests, statuses {dict(statuses)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
