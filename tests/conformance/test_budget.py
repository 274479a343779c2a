"""The budget holds: a run never sends more requests that could create a paid task than it is given (a gateway
that accepts everything proves it), and only probes without a key are outside it."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver.conformance import Runner
from mockserver.conformance.target import by_url
from tests.conformance.broken import broken_target
from tests.server.live import serving

SUBMIT_PATHS = {
    "crazyrouter": "/crazyrouter/jimeng/submit/videos",
    "octopusx": "/octopusx/v1/videos",
}


class AcceptsEverything:
    """A gateway whose checks are all broken: every request is a 200 with a task id, and each is counted."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bool]] = []  # method, path, carried a key

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        await request.body()
        self.requests.append((request.method, request.url.path, "authorization" in request.headers))
        body = {"code": 10000, "message": "Success", "data": {"task_id": "1", "status": "done"}, "status": 10000}
        await JSONResponse(body)(scope, receive, send)

    def keyed_writes(self) -> list[str]:
        return [path for method, path, keyed in self.requests if keyed and method != "GET"]


@pytest.mark.parametrize("budget", [0, 1, 3])
def test_a_gateway_that_accepts_everything_gets_no_more_than_the_budget(budget: int) -> None:
    gateway = AcceptsEverything()
    with serving(gateway) as url:
        target = by_url("gptge", url, "sk-real-and-paid", sleep=lambda seconds: None)
        result = Runner(target, budget=budget, timeout=600).run()
        target.close()
    assert len(gateway.keyed_writes()) == result.submissions == budget
    unkeyed = [path for method, path, keyed in gateway.requests if not keyed and method == "POST"]
    assert unkeyed == ["/task/jimeng/text2video"]  # the no-key probe: free, and sent whatever the budget
    if budget == 3:  # the keyed probe, then a text-to-video and an image-to-video task
        assert gateway.keyed_writes() == ["/task/jimeng/text2video"] * 2 + ["/task/jimeng/image2video"]
    if budget == 1:
        assert result.skipped == ["probe: invalid body"]  # the last unit goes to a task


@pytest.mark.parametrize("budget", [0, 1, 2])
@pytest.mark.parametrize("gateway", sorted(SUBMIT_PATHS))
def test_tasks_created_never_exceed_the_budget(gateway: str, budget: int) -> None:
    target, counting = broken_target(gateway)
    result = Runner(target, budget=budget).run()
    submits = [e for e in counting.exchanges if e[:2] == ("POST", SUBMIT_PATHS[gateway])]
    keyed = [e for e in submits if e[2] != 401]  # the no-key probe's 401 is the only unkeyed submit
    created = [e for e in submits if e[2] == 200]
    assert result.ok
    assert len(keyed) == result.submissions == budget
    assert len(created) == min(budget, 1) + max(0, budget - 2)  # from 2 on, one unit went to the keyed probe


def test_the_timeout_is_reported_as_a_timeout_and_stops_the_spending() -> None:
    target, _ = broken_target("crazyrouter")
    result = Runner(target, budget=3, timeout=20).run()
    assert result.failures == [] and not result.ok
    assert result.timed_out.startswith("the run would pass its 20 s limit (--timeout)")
    assert result.submissions == 2  # the keyed probe and the one task that ran out of time
