"""The budget holds: a run never creates more tasks than it is given, and the free checks create none."""

from __future__ import annotations

import pytest

from mockserver.conformance import Runner
from tests.conformance.broken import broken_target

SUBMIT_PATHS = {
    "crazyrouter": "/crazyrouter/jimeng/submit/videos",
    "octopusx": "/octopusx/v1/videos",
}


@pytest.mark.parametrize("budget", [0, 1, 2])
@pytest.mark.parametrize("gateway", sorted(SUBMIT_PATHS))
def test_tasks_created_never_exceed_the_budget(gateway: str, budget: int) -> None:
    target, counting = broken_target(gateway)
    result = Runner(target, budget=budget).run()
    created = [e for e in counting.exchanges if e[:2] == ("POST", SUBMIT_PATHS[gateway]) and e[2] == 200]
    assert result.ok
    assert len(created) == result.submissions == budget


def test_the_timeout_stops_a_run_before_it_spends_more() -> None:
    target, _ = broken_target("crazyrouter")
    result = Runner(target, budget=3, timeout=20).run()
    assert [o.failure.title for o in result.failures if o.failure] == ["Timed out"]
    assert result.submissions == 1
