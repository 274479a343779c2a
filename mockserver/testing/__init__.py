"""The mock inside a test suite: `MockServer` (Python API) and what the pytest plugin builds on."""

from mockserver.testing.clock import TaskNotReached, TestClock, UnknownTask
from mockserver.testing.server import MockServer

__all__ = ["MockServer", "TaskNotReached", "TestClock", "UnknownTask"]
