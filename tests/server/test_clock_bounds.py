"""The clock stays within a sane range of unix time and of scales: a change past them is a 400 in the admin API's
format, the gateways keep answering, and a stored clock out of range is reported and reset at start."""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.core.clock import ClockBounds, ClockError, MockClock
from mockserver.server.settings import Settings, SettingsError
from tests.support import ContractClient, make_client, submit

EARLIEST, LATEST = 946_684_800.0, 4_102_444_800.0


def refused(client: ContractClient, path: str, body: dict[str, object]) -> str:
    before = client.get("/__admin/clock").json()
    response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] in ("bad_clock_change", "bad_request")
    assert client.get("/__admin/clock").json() == before
    message: str = error["message"]
    return message


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/__admin/clock/advance", {"seconds": 1e308}),
        ("/__admin/clock/advance", {"seconds": LATEST}),
        ("/__admin/clock/scale", {"scale": 5e-324}),
        ("/__admin/clock/scale", {"scale": 1e-7}),
        ("/__admin/clock/scale", {"scale": 1e7}),
        ("/__admin/clock/set", {"now": 1e20}),
        ("/__admin/clock/set", {"now": LATEST + 1}),
        ("/__admin/clock/set", {"now": 0}),
    ],
)
def test_a_clock_change_out_of_bounds_is_a_400_and_the_gateways_keep_answering(
    client: ContractClient, path: str, body: dict[str, object]
) -> None:
    refused(client, path, body)
    refused(client, path, body)  # twice: the reproduction's second step is the one that overflowed
    assert submit(client, prompt="a cat").status_code == 200


def test_the_message_names_the_bounds(client: ContractClient) -> None:
    assert "946684800 and 4102444800" in refused(client, "/__admin/clock/set", {"now": 1e20})
    assert "1e-06 to 1e+06" in refused(client, "/__admin/clock/scale", {"scale": 5e-324})


def test_up_to_the_bound_is_allowed(client: ContractClient) -> None:
    assert client.post("/__admin/clock/set", json={"now": LATEST}).json()["now"] == LATEST
    refused(client, "/__admin/clock/advance", {"seconds": 1})
    assert client.post("/__admin/clock/advance", json={"seconds": 0}).status_code == 200


def test_the_bounds_are_settings() -> None:
    with make_client(clock_latest=EARLIEST * 2, clock_min_scale=0.5, clock_max_scale=2) as client:
        refused(client, "/__admin/clock/set", {"now": EARLIEST * 2 + 1})
        refused(client, "/__admin/clock/scale", {"scale": 0.25})
        assert client.post("/__admin/clock/scale", json={"scale": 0.5}).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"clock_earliest": 10.0, "clock_latest": 5.0},
        {"clock_min_scale": 0.0},
        {"clock_min_scale": 2.0, "clock_max_scale": 1.0},
        {"start_time": 1e20},
        {"start_time": 0.0},
        {"time_scale": 1e-9},
        {"clock": "virtual", "clock_earliest": 2e9},  # the virtual clock's default start, 2026, is before it
    ],
)
def test_settings_out_of_the_bounds_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(SettingsError):
        Settings(**changes)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("advance"), st.floats(allow_nan=True, allow_infinity=True)),
            st.tuples(st.just("set"), st.floats(allow_nan=True, allow_infinity=True)),
            st.tuples(st.just("run"), st.floats(allow_nan=True, allow_infinity=True)),
        ),
        max_size=6,
    )
)
def test_no_sequence_of_changes_takes_the_clock_out_of_bounds(steps: list[tuple[str, float]]) -> None:
    bounds = ClockBounds(EARLIEST, LATEST, 1e-6, 1e6)
    clock = MockClock("virtual", bounds=bounds)
    for operation, value in steps:
        with contextlib.suppress(ClockError):
            getattr(clock, operation)(value)
        assert math.isfinite(clock.now()) and clock.now() >= EARLIEST
        if clock.mode == "virtual":  # a flowing clock runs on past the bound; only changes are held to it
            assert clock.now() <= LATEST
        assert bounds.min_scale <= clock.scale <= bounds.max_scale or clock.scale in (0.0, 1.0)
