"""The mock inside a test suite: `MockServer` (Python API) and what the pytest plugin builds on.

Imported lazily, so that pytest loading the plugin (`mockserver.testing.pytest_plugin`) starts nothing."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.testing.clock import TaskNotReached, TestClock, UnknownTask
    from mockserver.testing.server import MockServer

__all__ = ["MockServer", "TaskNotReached", "TestClock", "UnknownTask"]

_LOCATIONS = {
    "MockServer": "mockserver.testing.server",
    "TaskNotReached": "mockserver.testing.clock",
    "TestClock": "mockserver.testing.clock",
    "UnknownTask": "mockserver.testing.clock",
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'mockserver.testing' has no attribute {name!r}")
