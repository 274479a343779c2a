"""What a run found: one outcome per check per subject, and a redactor so no key leaves in a report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and not self.failures

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
