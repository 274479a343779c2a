from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import ContractClient, make_client

pytest_plugins = ("pytester",)  # tests/testing/test_pytest_plugin.py runs pytest inside pytest


@pytest.fixture
def client() -> Iterator[ContractClient]:
    with make_client() as test_client:
        yield test_client
