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


def verify(args: dict[str, Any]) -> int:
    providers = [args["provider"]]
    results: list[RunResult] = []
    for provider in providers:
        if args.get("base_url"):
            target = by_url(
                provider,
                args["base_url"],
                args.get("api_key") or "",
                mock_admin=args.get("mock_admin"),
                mock_admin_token=args.get("mock_admin_token") or os.environ.get("JIMENG_MOCK_ADMIN_TOKEN"),
            )
        else:
            target = in_process(provider)
        try:
            results.append(Runner(target, budget=args.get("budget") or 0, timeout=args.get("timeout") or 900.0).run())
        finally:
            target.close()
    print(terminal(results))
    if args.get("junit"):
        Path(args["junit"]).write_text(junit(results), encoding="utf-8")
    if args.get("json"):
        Path(args["json"]).write_text(as_json(results), encoding="utf-8")
    if not all(r.ok for r in results):
        print("jimeng-mock verify: the gateway breaks its contract", file=sys.stderr)
        return 1
    return 0
