"""Conformance checks, one set for the mock and for a real gateway: registered check functions that raise
`CheckFailure`, a runner that drives a gateway as its contract's `x-conformance` says, and reports."""

from __future__ import annotations

from mockserver.conformance.exchange import Exchange
from mockserver.conformance.failures import CheckFailure
from mockserver.conformance.registry import all_checks, check, checks
from mockserver.conformance.results import RunResult, redact
from mockserver.conformance.runner import Runner
from mockserver.conformance.target import Target, by_url, in_process

__all__ = [
    "CheckFailure",
    "Exchange",
    "RunResult",
    "Runner",
    "Target",
    "all_checks",
    "by_url",
    "check",
    "checks",
    "in_process",
    "redact",
]
