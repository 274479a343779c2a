"""What a check raises when a gateway breaks its contract."""

from __future__ import annotations


class CheckFailure(AssertionError):
    """A contract violation: a short title, a sentence that explains it, and the evidence (what was seen)."""

    def __init__(self, title: str, message: str, evidence: str = "") -> None:
        super().__init__(f"{title}: {message}" + (f"\n{evidence}" if evidence else ""))
        self.title = title
        self.message = message
        self.evidence = evidence
