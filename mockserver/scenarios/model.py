"""What a scenario says, free of files and HTTP: a task's scripted timeline and the faults on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mockserver.core.streams import Draws
from mockserver.engine import Forever, Outcome, StepPlan, parse_timing, with_timings
from mockserver.engine.timing import Duration, Fixed, LogNormal, Uniform


@dataclass(frozen=True)
class Failure:
    error: str
    """An error of the gateway's catalogue: its name, or a kind that several gateways share."""
    at_progress: int | None = None


@dataclass(frozen=True)
class ResultScript:
    url: bool = True
    unavailable_for: float = 0.0
    ttl: float | None = None


@dataclass(frozen=True)
class CallbackScript:
    """How a task's callbacks are delivered: `delay` seconds late, each sent `1 + duplicates` times, and (out of
    order) a status's callback held until the next status is reached, then sent after it."""

    delay: float = 0.0
    duplicates: int = 0
    out_of_order: bool = False


@dataclass(frozen=True)
class NetworkFault:
    fault: str | None = None
    latency: Duration | None = None
    p: float = 1.0
    when: str = "any"


@dataclass(frozen=True)
class PollFault:
    nth: int | None = None
    first: int | None = None
    last: int | None = None
    p: float = 1.0
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None
    network: NetworkFault | None = None

    def covers(self, poll: int) -> bool:
        if self.nth is not None:
            return poll == self.nth
        return self.first is not None and poll >= self.first and (self.last is None or poll <= self.last)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    providers: frozenset[str] | None = None
    timings: Mapping[str, Any] = field(default_factory=dict)
    reject: str | None = None
    fail: Failure | None = None
    stuck: str | None = None
    status_lag: float = 0.0
    result: ResultScript = ResultScript()
    polls: tuple[PollFault, ...] = ()
    faults: tuple[NetworkFault, ...] = ()
    callbacks: CallbackScript = CallbackScript()
    source: str = "built-in"
    text: str = field(default="", compare=False, repr=False)
    """The YAML document it was read from."""

    def applies_to(self, provider: str) -> bool:
        return self.providers is None or provider in self.providers

    def in_states(self, names: Mapping[str, str]) -> Scenario:
        """This scenario with the library's generic state names (e.g. `processing`) renamed to a gateway's own
        (e.g. `in_progress`); a timing given under the gateway's own name wins over the generic one."""
        if not names or (not self.timings and self.stuck is None):
            return self  # nothing to rename (most scenarios, and the default)
        renamed = {names[state]: value for state, value in self.timings.items() if state in names}
        timings = renamed | {state: value for state, value in self.timings.items() if state not in names}
        stuck = names.get(self.stuck, self.stuck) if self.stuck is not None else None
        return replace(self, timings=timings, stuck=stuck)

    def shape(
        self, steps: Sequence[StepPlan], failure_error: Mapping[str, Any] | None
    ) -> tuple[list[StepPlan], Outcome | None, int | None]:
        """The scripted steps, the scripted outcome (None: keep the provider's) and where the task fails."""
        shaped = with_timings(steps, self.timings)
        if self.stuck is not None:
            index = next((n for n, s in enumerate(shaped) if s.state == self.stuck), None)
            if index is not None:
                shaped = [*shaped[:index], StepPlan(shaped[index].state, Forever(), shaped[index].progress)]
        if self.fail is None or failure_error is None:
            return shaped, None, None
        return shaped, Outcome("failed", error=failure_error), self.fail.at_progress

    def poll_fault(self, poll: int, rng: Draws) -> PollFault | None:
        """The fault scripted for this poll of the task, drawn against its probability."""
        for fault in self.polls:
            if fault.covers(poll) and (fault.p >= 1 or rng.random() < fault.p):
                return fault
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "providers": sorted(self.providers) if self.providers is not None else "all",
        }


_DEFAULT_DESCRIPTION = "The gateway's normal behaviour: realistic timings, then success."
DEFAULT = Scenario("default", _DEFAULT_DESCRIPTION, text=f'description: "{_DEFAULT_DESCRIPTION}"\n')


def scenario_from_dict(name: str, data: Mapping[str, Any], source: str, text: str = "") -> Scenario:
    """Build from a document that already passed the schema."""
    providers = data.get("providers", "all")
    fail = data.get("fail")
    result = data.get("result", {})
    callbacks = data.get("callbacks", {})
    return Scenario(
        name=name,
        description=data["description"],
        providers=None if providers == "all" else frozenset(providers),
        timings=dict(data.get("timings", {})),
        reject=data.get("reject"),
        fail=Failure(fail["error"], fail.get("at_progress")) if fail else None,
        stuck=data.get("stuck"),
        status_lag=float(data.get("status_lag", 0)),
        result=ResultScript(result.get("url", True), float(result.get("unavailable_for", 0)), result.get("ttl")),
        polls=tuple(_poll_fault(item) for item in data.get("polls", ())),
        faults=tuple(_network_fault(item) for item in data.get("faults", ())),
        callbacks=CallbackScript(
            float(callbacks.get("delay", 0)),
            int(callbacks.get("duplicates", 0)),
            bool(callbacks.get("out_of_order", False)),
        ),
        source=source,
        text=text,
    )


def _network_fault(item: Mapping[str, Any]) -> NetworkFault:
    return NetworkFault(
        item.get("fault"), _duration(item.get("latency")), float(item.get("p", 1)), item.get("when", "any")
    )


def _poll_fault(item: Mapping[str, Any]) -> PollFault:
    network = None
    if "fault" in item or "latency" in item:
        network = NetworkFault(item.get("fault"), _duration(item.get("latency")))
    return PollFault(
        item.get("nth"),
        item.get("from"),
        item.get("until"),
        float(item.get("p", 1)),
        item.get("status"),
        item.get("retry_after"),
        item.get("error"),
        network,
    )


def _duration(value: Any) -> Duration | None:
    if value is None:
        return None
    timing = parse_timing(value)
    if isinstance(timing, Fixed | Uniform | LogNormal):
        return timing
    raise ValueError("a latency is a duration in seconds, not a poll count or forever")
