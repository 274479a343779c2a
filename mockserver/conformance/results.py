"""What a run found: one outcome per check per subject, and a redactor so no key leaves in a report."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.conformance.failures import CheckFailure

REDACTED = "***"


@dataclass(frozen=True)
class Outcome:
    provider: str
    operation: str
    check: str
    failure: CheckFailure | None = None
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.failure is None


@dataclass
class RunResult:
    provider: str
    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    submissions: int = 0
    budget: int = 0
    wall_seconds: float = 0.0  # how long the run took
    virtual_seconds: float = 0.0  # how far it advanced a virtual clock (0 against a real gateway)
    secrets: tuple[str, ...] = ()
    timed_out: str = ""
    """Why the run stopped at its time limit (a timeout, not a breach of the contract); empty when it did not."""
    skipped: list[str] = field(default_factory=list)
    """Checks left out because they would have spent more than the budget."""

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and not self.failures and not self.timed_out

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


# What a key is made of: a match bounded by these is part of a longer word, not the key ("k" in "check").
_TOKEN_CHARACTER = "A-Za-z0-9_\\-"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Each secret replaced where it stands as a whole token: not inside a longer word."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        pattern = f"(?<![{_TOKEN_CHARACTER}]){re.escape(secret)}(?![{_TOKEN_CHARACTER}])"
        text = re.sub(pattern, REDACTED, text)
    return text


def redact_document(value: Any, secrets: Iterable[str]) -> Any:
    """A JSON document with the secrets redacted inside its strings only: its syntax (true, 1) stays."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redact_document(item, secrets) for item in value]
    if isinstance(value, dict):
        return {redact(str(k), secrets): redact_document(v, secrets) for k, v in value.items()}
    return value
