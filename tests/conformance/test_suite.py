"""The conformance suite, against the target the options choose (the in-process mock by default)."""

from __future__ import annotations

from collections.abc import Callable

from mockserver.conformance import Runner, Target
from mockserver.conformance.report import terminal


def test_gateway_meets_its_contract(provider: str, make_target: Callable[[str], Target], budget: int) -> None:
    result = Runner(make_target(provider), budget=budget).run()
    assert result.submissions <= budget
    assert result.ok, terminal([result])
    checked = {o.check for o in result.outcomes}
    assert {"response_schema_conformance", "error_in_catalogue"} <= checked
    if budget:
        assert {"transition_allowed", "terminal_status_stays", "media_matches_request"} <= checked
    if budget >= 2:  # the keyed probes run once a unit is left for a task
        assert any(o.check == "probe: invalid body" for o in result.outcomes)
