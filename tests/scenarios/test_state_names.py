"""A gateway's own state names for the library's generic ones (`Scenario.in_states`)."""

from __future__ import annotations

from mockserver.scenarios.model import Scenario

NAMES = {"processing": "in_progress"}


def test_timings_and_stuck_are_renamed() -> None:
    scenario = Scenario("s", "d", timings={"processing": 5, "queued": 1}, stuck="processing")
    renamed = scenario.in_states(NAMES)
    assert renamed.timings == {"in_progress": 5, "queued": 1} and renamed.stuck == "in_progress"
    assert renamed.name == "s" and scenario.timings == {"processing": 5, "queued": 1}


def test_the_gateways_own_name_wins() -> None:
    scenario = Scenario("s", "d", timings={"processing": 5, "in_progress": 7})
    assert scenario.in_states(NAMES).timings == {"in_progress": 7}


def test_no_names_changes_nothing() -> None:
    scenario = Scenario("s", "d", timings={"processing": 5}, stuck="queued")
    assert scenario.in_states({}) is scenario
    assert scenario.in_states(NAMES).stuck == "queued"
