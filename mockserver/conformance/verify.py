"""`jimeng-mock verify`: run the conformance suite against one gateway and write the reports."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from mockserver.conformance.report import as_json, junit, terminal
from mockserver.conformance.results import RunResult
from mockserver.conformance.runner import Runner
from mockserver.conformance.target import by_url, in_process

API_KEY_VARIABLE = "JIMENG_MOCK_VERIFY_API_KEY"
TIMED_OUT = 3
"""The exit status of a run that reached its time limit (1 is a breach of the contract)."""


def progress(news: str) -> None:
    print(f"  ... {news}", file=sys.stderr, flush=True)


def api_key(args: dict[str, Any]) -> str:
    """`--api-key`, else the variable `--api-key-env` names (default JIMENG_MOCK_VERIFY_API_KEY), which keeps
    the key out of the process list."""
    return str(args.get("api_key") or os.environ.get(args.get("api_key_env") or API_KEY_VARIABLE, ""))


def verify(args: dict[str, Any]) -> int:
    providers = [args["provider"]]
    results: list[RunResult] = []
    key = api_key(args)
    for provider in providers:
        if args.get("base_url"):
            target = by_url(
                provider,
                args["base_url"],
                key,
                mock_admin=args.get("mock_admin"),
                mock_admin_token=args.get("mock_admin_token") or os.environ.get("JIMENG_MOCK_ADMIN_TOKEN"),
            )
        else:
            target = in_process(provider)
        try:
            runner = Runner(
                target, budget=args.get("budget") or 0, timeout=args.get("timeout") or 900.0, progress=progress
            )
            results.append(runner.run())
        finally:
            target.close()
    print(terminal(results))
    if args.get("junit"):
        Path(args["junit"]).write_text(junit(results), encoding="utf-8")
    if args.get("json"):
        Path(args["json"]).write_text(as_json(results), encoding="utf-8")
    if any(r.failures for r in results):
        print("jimeng-mock verify: the gateway breaks its contract", file=sys.stderr)
        return 1
    if any(r.timed_out for r in results):
        print("jimeng-mock verify: the run timed out before its checks were done (no breach found)", file=sys.stderr)
        return TIMED_OUT
    if not all(r.ok for r in results):
        print("jimeng-mock verify: no check ran", file=sys.stderr)
        return 1
    return 0
