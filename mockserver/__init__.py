"""jimeng-mock: an offline simulator of the Jimeng / Seedance video gateways.

The public API is imported lazily so that `import mockserver` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["MockClock", "MockRuntime", "MockServer", "Settings", "__version__", "create_app"]

if TYPE_CHECKING:
    from mockserver.core.clock import MockClock
    from mockserver.server.app import create_app
    from mockserver.server.runtime import MockRuntime
    from mockserver.server.settings import Settings
    from mockserver.testing import MockServer

_LOCATIONS = {
    "create_app": "mockserver.server.app",
    "MockClock": "mockserver.core.clock",
    "MockRuntime": "mockserver.server.runtime",
    "MockServer": "mockserver.testing",
    "Settings": "mockserver.server.settings",
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        import importlib

        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
