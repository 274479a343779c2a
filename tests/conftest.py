from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.support import ContractClient, make_client

pytest_plugins = ("pytester",)  # tests/testing/test_pytest_plugin.py runs pytest inside pytest

# Hypothesis's too_slow check times the drawing of inputs on the wall clock: on a loaded machine (`make test` beside
# other work) it failed a test of small dictionaries, which says nothing about the code. Tests that set their own
# health checks keep them.
settings.register_profile("suite", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.fixture
def client() -> Iterator[ContractClient]:
    with make_client() as test_client:
        yield test_client
