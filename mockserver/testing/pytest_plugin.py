"""The pytest plugin, loaded through the `pytest11` entry point when jimeng-mock is installed.

Fixtures (all opt-in: nothing starts until a test asks for `jimeng_mock`):

- `jimeng_mock_settings` (session): a dict of settings for the session's mock. Override it in a conftest.py.
- `jimeng_mock_server` (session): the mock, started once per session (once per xdist worker) on a free
  loopback port.
- `jimeng_mock` (function): that mock, reset before the test (tasks, clock, journal, random streams,
  scenario) and configured by the test's `@pytest.mark.jimeng_mock(...)` marker.

Settings, highest first: the marker; `jimeng_mock_settings`; `JIMENG_MOCK_*` environment variables (and
the `JIMENG_MOCK_CONFIG` file); the plugin's default, a virtual clock. `JIMENG_MOCK_HOST` and
`JIMENG_MOCK_PORT` configure `jimeng-mock serve` only: the plugin always takes a free port, so parallel
workers never collide (give `host`/`port` in `jimeng_mock_settings` to choose). With an `admin_token` (a
setting like any other, e.g. `JIMENG_MOCK_ADMIN_TOKEN`), HTTP calls to `jimeng_mock.admin_url` carry
`jimeng_mock.admin_headers`; the in-process API (`jimeng_mock.clock`, `.journal`, `.reset()`) needs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.server.settings import Settings
    from mockserver.testing import MockServer

MARKER = "jimeng_mock"
PLUGIN_DEFAULTS: Mapping[str, Any] = {"clock": "virtual"}
_LISTEN = ("host", "port")


class MarkerError(ValueError):
    pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(scenario=None, seed=None, time_scale=None, providers=None, **settings): settings of the "
        "jimeng_mock fixture's mock for this test; the mock is reconfigured on the same address and goes "
        "back to the session's settings for the next test.",
    )


@pytest.fixture(scope="session")
def jimeng_mock_settings() -> dict[str, Any]:
    """Settings of the session's mock (any `jimeng-mock serve` setting, e.g. {"seed": 7, "api_keys": ["sk-ci"]}).
    Override this fixture in your conftest.py."""
    return {}


@pytest.fixture(scope="session")
def jimeng_mock_server(jimeng_mock_settings: dict[str, Any]) -> Iterator[MockServer]:
    """The session's mock, running in a background thread. Tests normally use `jimeng_mock` instead."""
    from mockserver.testing import MockServer

    listen = {k: v for k, v in jimeng_mock_settings.items() if k in _LISTEN}
    settings = session_settings({k: v for k, v in jimeng_mock_settings.items() if k not in _LISTEN}, os.environ)
    with MockServer(settings=settings, host=listen.get("host", "127.0.0.1"), port=int(listen.get("port", 0))) as mock:
        yield mock


@pytest.fixture
def jimeng_mock(jimeng_mock_server: MockServer, request: pytest.FixtureRequest) -> MockServer:
    """The mock, in the state it started in, with the settings of this test's `jimeng_mock` marker."""
    from mockserver.server.settings import SettingsError

    try:
        return jimeng_mock_server.configure(**marker_settings(request.node))
    except (SettingsError, MarkerError) as exc:
        problem = str(exc)
    pytest.fail(f"@pytest.mark.{MARKER}: {problem}", pytrace=False)


def session_settings(overrides: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    from mockserver.server.settings import ENV_PREFIX, Settings, SettingsError

    serve_only = {ENV_PREFIX + name.upper() for name in _LISTEN}
    environ = {k: v for k, v in environ.items() if k not in serve_only}
    try:
        return Settings.load(flags=dict(overrides), environ=environ, defaults=PLUGIN_DEFAULTS)
    except SettingsError as exc:
        raise pytest.UsageError(f"jimeng-mock settings (jimeng_mock_settings or JIMENG_MOCK_*): {exc}") from None


def marker_settings(node: pytest.Item | pytest.Collector) -> dict[str, Any]:
    """The keyword arguments of every `jimeng_mock` marker on the test, the closest winning (a test's marker
    over its class's over its module's)."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(name=MARKER))):
        if marker.args:
            raise MarkerError(f"keyword arguments only, e.g. (seed=7), not {marker.args!r}")
        merged.update(marker.kwargs)
    if listen := set(merged) & set(_LISTEN):
        raise MarkerError(f"cannot change {sorted(listen)}: the address is the session's (see jimeng_mock_settings)")
    return merged
