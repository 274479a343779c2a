"""A clock stored in SQLite or Redis that is out of range (a damaged store, older bounds) is reported and reset
at start: never fatal."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mockserver.core.clock import ClockState
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from mockserver.stores import open_store
from tests.support import ContractClient, submit

EARLIEST = 946_684_800.0
# a stored clock out of range


BAD_STATES = [
    ClockState("virtual", start=1e20).encode(),
    '{"mode":"virtual","start":Infinity,"scale":1.0,"anchor":0.0,"offset":0.0}',
    '{"mode":"virtual","start":NaN,"scale":1.0,"anchor":0.0,"offset":0.0}',
    ClockState("scaled", start=EARLIEST * 1.5, scale=5e-324).encode(),
    ClockState("virtual", start=100.0).encode(),
    "not json",
    '{"mode":"sideways"}',
]


@pytest.mark.parametrize("stored", BAD_STATES)
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_stored_clock_out_of_range_is_reported_and_reset_at_start(
    kind: str, stored: str, url_of: object, caplog: pytest.LogCaptureFixture
) -> None:
    url = url_of(kind)  # type: ignore[operator]
    store = open_store(url)
    assert store is not None
    store.swap_clock(None, stored)
    store.close()
    with caplog.at_level(logging.WARNING, logger="jimeng_mock"):
        runtime = MockRuntime(Settings(clock="virtual", store=url))
    try:
        assert runtime.clock.describe() == {"now": 1_767_225_600.0, "mode": "virtual", "scale": 0.0}
        assert "the stored clock" in caplog.text and "is reset to the start clock" in caplog.text
        with ContractClient(runtime) as client:
            assert submit(client, prompt="a cat").status_code == 200
    finally:
        runtime.close()


def test_a_stored_clock_in_range_is_kept_without_a_word(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'mock.db'}"
    first = MockRuntime(Settings(clock="virtual", store=url))
    first.clock.advance(30)
    first.close()
    with caplog.at_level(logging.WARNING, logger="jimeng_mock"):
        again = MockRuntime(Settings(clock="virtual", store=url))
    assert again.clock.now() == 1_767_225_630.0
    assert caplog.text == ""
    again.close()
