"""The registry of checks: plain functions, registered by scope, each raising `CheckFailure` when it fails.

Scopes: `response` checks see one exchange (`Exchange`); `lifecycle` checks see a task's history of
polls (`TaskHistory`); `media` checks see a downloaded result (`MediaResult`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

SCOPES = ("response", "lifecycle", "media")

F = TypeVar("F", bound=Callable[..., None])


@dataclass(frozen=True)
class RegisteredCheck:
    name: str
    scope: str
    function: Callable[[Any], None]

    def __call__(self, subject: Any) -> None:
        self.function(subject)


_CHECKS: dict[str, RegisteredCheck] = {}


def check(scope: str, name: str | None = None) -> Callable[[F], F]:
    """Register `function` as a check of `scope` (its name defaults to the function's)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown check scope {scope!r}: use one of {', '.join(SCOPES)}")

    def register(function: F) -> F:
        key = name or function.__name__
        _CHECKS[key] = RegisteredCheck(key, scope, function)
        return function

    return register


def checks(scope: str) -> list[RegisteredCheck]:
    _load_builtin_checks()
    return [c for c in _CHECKS.values() if c.scope == scope]


def all_checks() -> list[RegisteredCheck]:
    _load_builtin_checks()
    return list(_CHECKS.values())


def _load_builtin_checks() -> None:
    from mockserver.conformance import lifecycle_checks, media_checks, response_checks  # noqa: F401
