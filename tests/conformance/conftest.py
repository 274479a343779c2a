"""Options of `pytest tests/conformance`: the same conformance suite against the mock (default) or a gateway by URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from mockserver.conformance import Target, by_url, in_process
from mockserver.gateways import PROVIDER_IDS


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "jimeng-mock contract suite")
    group.addoption("--target", choices=("mock", "url"), default="mock", help="mock: in-process (default); url")
    group.addoption("--provider", action="append", choices=PROVIDER_IDS, help="repeatable (default: all)")
    group.addoption("--base-url", help="the gateway's base URL, with --target url")
    group.addoption("--api-key", default="", help="bearer key for --target url (redacted from reports)")
    group.addoption(
        "--budget",
        type=int,
        help="requests per provider that could create a paid task (default: 3 on the mock, enough for the keyed "
        "probe and one task of each submit plan; 0 by URL)",
    )
    group.addoption("--mock-admin", help="with --target url at a jimeng-mock on a virtual clock: its /__admin URL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "provider" in metafunc.fixturenames:
        metafunc.parametrize("provider", metafunc.config.getoption("--provider") or PROVIDER_IDS)


@pytest.fixture
def budget(request: pytest.FixtureRequest) -> int:
    chosen: int | None = request.config.getoption("--budget")
    if chosen is not None:
        return chosen
    return 3 if request.config.getoption("--target") == "mock" else 0


@pytest.fixture
def make_target(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Target]]:
    """Targets for the test, closed after it (a target's client holds its connections to the gateway)."""
    config = request.config
    made: list[Target] = []

    def make(provider: str) -> Target:
        if config.getoption("--target") == "mock":
            target = in_process(provider)
        elif base_url := config.getoption("--base-url"):
            target = by_url(
                provider, base_url, config.getoption("--api-key"), mock_admin=config.getoption("--mock-admin")
            )
        else:
            raise pytest.UsageError("--target url needs --base-url")
        made.append(target)
        return target

    yield make
    for target in made:
        target.close()
