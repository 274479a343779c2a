"""A hypothesis state machine per gateway, against the in-process mock: submit any valid request the contract
allows, poll live tasks while the virtual clock moves on by drawn amounts, fetch and download finished results;
after every step, every conformance check run so far has passed (each response against the contract, the
lifecycle of every task polled, the media downloaded).

One machine, parametrised by the contract: its `x-conformance` says how to submit, poll and fetch; the submit
request schema's enums give the requests; `x-lifecycle` gives the statuses the checks hold the gateway to."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from mockserver.conformance import Runner, Target, in_process
from mockserver.conformance.exchange import MISSING, field_at
from mockserver.conformance.lifecycle_checks import TaskHistory
from mockserver.conformance.registry import checks
from mockserver.contracts.contract import Contract, load_contract
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from tests.conformance.broken import broken_target

GATEWAYS = ["crazyrouter", "octopusx", "gptge", "jimeng2api", "jimmyai", "volcengine", "ark"]
DURATION_FIELDS = ("duration", "seconds")
# From a poll a second later to well past the longest generation.
WAITS = st.one_of(st.integers(0, 10), st.integers(10, 300)).map(float)
BOUNDS = settings(
    max_examples=15,
    stateful_step_count=15,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _properties(contract: Contract) -> dict[str, Any]:
    """The submit request schema's top-level properties, references resolved."""
    operation = contract.operation(contract.extension("x-conformance")["submit"]["operation"])
    schema = operation.request_schema() or {}
    if "$ref" in schema:
        schema = contract.resolve(schema["$ref"].removeprefix("#"))
    resolved = {}
    for name, prop in schema.get("properties", {}).items():
        resolved[name] = contract.resolve(prop["$ref"].removeprefix("#")) if "$ref" in prop else prop
    return resolved


@cache
def request_bodies(gateway: str) -> st.SearchStrategy[dict[str, Any]]:
    """The x-conformance submit body with any of its schema's enum fields drawn: a request the schema accepts."""
    contract = load_contract(gateway)
    plan = contract.extension("x-conformance")["submit"]
    operation = contract.operation(plan["operation"])
    fixed = set(plan.get("fixed", ()))  # fields the plan keeps as its body has them
    choices = {
        name: st.sampled_from(prop["enum"])
        for name, prop in _properties(contract).items()
        if prop.get("enum") and all(isinstance(v, str | int) for v in prop["enum"]) and name not in fixed
    }
    base: dict[str, Any] = plan["body"]

    def valid(fields: dict[str, Any]) -> dict[str, Any]:
        """Drawn fields the schema refuses together (a template without an image) are given back, last first."""
        body = {**base, **fields}
        for name in reversed(list(fields)):
            if operation.check_request(body) is None:
                break
            if name in base:
                body[name] = base[name]
            else:
                del body[name]
        assert operation.check_request(body) is None, body
        return body

    return st.fixed_dictionaries({}, optional=choices).map(valid)


def expected_media(contract: Contract, body: dict[str, Any]) -> dict[str, Any]:
    """What the result must be: the plan's expectation, the duration asked for, and the size where the request or
    the contract fixes it (`WxH` sizes, an `x-resolutions` table); a size the contract leaves open goes unchecked."""
    plan = contract.extension("x-conformance")["submit"]
    expect, properties = dict(plan.get("expect", {})), _properties(contract)
    size_known = True
    for name, value in body.items():
        prop = properties.get(name, {})
        if name in DURATION_FIELDS:
            expect["duration"] = int(value)
        elif str(value) in prop.get("x-durations", {}):  # frames: 121 for 5 s, 241 for 10 s
            expect["duration"] = prop["x-durations"][str(value)]
        elif value == plan["body"].get(name, prop.get("default")) or name == "prompt":
            continue
        elif isinstance(value, str) and value in prop.get("x-resolutions", {}):
            expect["width"], expect["height"] = prop["x-resolutions"][value]
        elif isinstance(value, str) and re.fullmatch(r"\d+x\d+", value):
            expect["width"], expect["height"] = (int(side) for side in value.split("x"))
        else:
            size_known = False  # a field that changes the size in a way the contract does not tabulate
    if not size_known:
        expect.pop("width", None)
        expect.pop("height", None)
    return expect


@dataclass
class Task:
    history: TaskHistory
    expect: dict[str, Any]
    downloaded: bool = False

    @property
    def succeeded(self) -> bool:
        return bool(self.history.observations) and self.history.last.succeeded


class GatewayMachine(RuleBasedStateMachine):
    gateway: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.contract = load_contract(self.gateway)
        self.target = self.new_target()
        self.runner = Runner(self.target, budget=10**9, timeout=math.inf, contract=self.contract)  # the mock is free
        self.plan = self.runner.plan
        self.tasks: dict[str, Task] = {}

    def new_target(self) -> Target:
        """A fresh mock for every run."""
        return in_process(self.gateway, MockRuntime(Settings(clock="virtual")))

    def teardown(self) -> None:
        self.target.close()

    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        body = data.draw(request_bodies(self.gateway), label="body")
        operation = self.contract.operation(self.plan["submit"]["operation"])
        exchange = self.runner.call(operation.method, operation.path, self.runner.headers(), body)
        if exchange.status != 200:
            event(f"submit refused with {exchange.status}")  # what only code sees; the checks hold its answer
            return
        task_id = field_at(exchange.json, self.plan["submit"]["task-id"])
        assert task_id is not MISSING, f"an accepted submit without a task id\n{exchange.evidence()}"
        history = TaskHistory(str(task_id), self.contract.lifecycle)
        self.tasks[str(task_id)] = Task(history, expected_media(self.contract, body))

    @precondition(lambda self: bool(self.tasks))
    @rule(data=st.data(), seconds=WAITS)
    def poll(self, data: st.DataObject, seconds: float) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.tasks)), label="task")
        self.runner.wait(seconds)
        self.observe(task_id)

    @precondition(lambda self: any(task.succeeded and not task.downloaded for task in self.tasks.values()))
    @rule(data=st.data())
    def fetch_result(self, data: st.DataObject) -> None:
        """Once per task: a video decodes in a fraction of a second, and polls go on checking it stays done."""
        finished = sorted(task_id for task_id, task in self.tasks.items() if task.succeeded and not task.downloaded)
        task_id = data.draw(st.sampled_from(finished), label="finished task")
        self.observe(task_id)  # its result URL as the gateway signs it now
        if "result" in self.plan:
            self.runner.fetch_result(task_id)
        task = self.tasks[task_id]
        if task.history.last.result_url:
            self.runner.download(str(task.history.last.result_url), task.expect)
        task.downloaded = True

    def observe(self, task_id: str) -> None:
        method, path, body = self.runner.poll_request(task_id)
        exchange = self.runner.call(method, path, self.runner.headers(), body)
        assert exchange.status == 200 or self.runner.is_task_answer(exchange), f"poll failed\n{exchange.evidence()}"
        history = self.tasks[task_id].history
        history.observations.append(self.runner.observe(exchange))
        for registered in checks("lifecycle"):
            self.runner.run_check(exchange.label, registered, history)

    @invariant()
    def every_check_passed(self) -> None:
        failures = self.runner.result.failures
        if failures:
            first = failures[0]
            assert first.failure is not None
            raise AssertionError(
                f"{first.operation} / {first.check}: {first.failure.title}\n{first.failure.message}\n"
                f"{first.failure.evidence}"
            )


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_every_step_of_any_run_keeps_the_contract(gateway: str) -> None:
    machine = type(f"{gateway.capitalize()}Machine", (GatewayMachine,), {"gateway": gateway})
    run_state_machine_as_test(machine, settings=BOUNDS)


class RestartingGatewayMachine(GatewayMachine):
    """Crazyrouter, broken: a task that finished reports processing again on the next poll."""

    gateway = "crazyrouter"

    def new_target(self) -> Target:
        finished: set[str] = set()

        def restart(method: str, path: str, status: int, body: Any, headers: dict[str, str]) -> Any:
            data = body.get("data") if isinstance(body, dict) else None
            if "/fetch/" in path and isinstance(data, dict) and data.get("status") == "succeeded":
                if data["task_id"] in finished:
                    data.update(status="processing", url="")
                finished.add(data["task_id"])
            return status, body, headers

        return broken_target(self.gateway, restart)[0]


def test_the_machine_catches_a_gateway_whose_finished_task_starts_again() -> None:
    no_shrinking = settings(BOUNDS, phases=[Phase.explicit, Phase.generate])  # the first failing run will do
    with pytest.raises(AssertionError, match="Terminal status changed"):
        run_state_machine_as_test(RestartingGatewayMachine, settings=no_shrinking)
