"""How a provider applies the scenario bound to a task: at submit (selection, refusal, timeline), at each
poll (scripted faults) and for the result (URL lifetime, CDN lag, no URL). Rendering stays the provider's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from mockserver.core.streams import Stream
from mockserver.engine import Outcome, StepPlan, StoreFull, Submission, TaskView
from mockserver.engine.engine import IdFactory
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.faults import attach_network_faults
from mockserver.gateways.kit.http import header
from mockserver.scenarios import SCENARIO_HEADER, PollFault, Scenario, Selection

_SCENARIO_HEADER = SCENARIO_HEADER.encode("latin-1")


class ScriptedError(Exception):
    """A scenario asks for an error of the gateway's catalogue (`entry`), or a bare HTTP status."""

    def __init__(
        self, entry: Mapping[str, Any] | None, status: int, retry_after: float | None = None, reference: str = ""
    ) -> None:
        super().__init__(reference or f"scripted HTTP {status}")
        self.entry, self.status, self.retry_after, self.reference = entry, status, retry_after, reference


@dataclass(slots=True)
class Script:
    scenario: Scenario
    prompt: str | None
    steps: list[StepPlan]
    outcome: Outcome
    fail_at_progress: int | None

    def submission(
        self,
        context: ProviderContext,
        request: dict[str, Any],
        new_id: IdFactory,
        retention: float,
        outcome: Outcome | None = None,
    ) -> Submission:
        """The engine's submission for this scripted task (`outcome` overrides the scripted one)."""
        return Submission(
            provider=context.provider_id,
            lifecycle=context.contract.lifecycle,
            plan=self.steps,
            outcome=outcome or self.outcome,
            request=request,
            new_id=new_id,
            retention=retention,
            scenario=self.scenario.name,
            fail_at_progress=self.fail_at_progress,
            status_lag=self.scenario.status_lag,
        )


FULL_STORE_ERRORS = ("concurrency_limited", "api_concurrent_limit", "rate_limited")
"""Catalogue entries a full store is answered with, the first a gateway has: its 429 for too many tasks at once."""


async def submit(context: ProviderContext, submission: Submission) -> TaskView:
    """`engine.submit`, with a full store (the `max_tasks` setting) refused as the gateway refuses too many tasks:
    its own 429 (a ScriptedError every gateway renders), retry after the entry's delay."""
    try:
        return await context.engine.asubmit(submission)
    except StoreFull as exc:
        raise _full(context, exc) from None


async def ensure_room(context: ProviderContext) -> None:
    """Raise the gateway's 429 now when the store is full (`submit` would), before anything is charged."""
    try:
        await context.engine.aensure_room()
    except StoreFull as exc:
        raise _full(context, exc) from None


def _full(context: ProviderContext, exc: StoreFull) -> ScriptedError:
    entry = next(found for name in FULL_STORE_ERRORS if (found := context.contract.errors.get(name)) is not None)
    return ScriptedError(entry, int(entry["http_status"]), entry.get("retry_after"), str(exc))


def prompt_too_long(prompt: Any, max_chars: int) -> str | None:
    """Why a prompt is refused for its length (the mock's `max_prompt_chars` setting, for gateways whose documents
    give no lower limit), or None."""
    if isinstance(prompt, str) and len(prompt) > max_chars:
        return f"prompt is {len(prompt)} characters: at most {max_chars} are accepted (the mock's max_prompt_chars)"
    return None


def select(request: Request, context: ProviderContext, prompt: str | None, api_key: str | None) -> Selection:
    """The scenario for a new task (raises scenarios.UnknownScenario for a name the mock does not know).
    Its network faults for submits are attached to this request."""
    selection = context.scenarios.select(context.provider_id, header(request, _SCENARIO_HEADER), prompt, api_key)
    if selection.scenario.faults:
        attach_network_faults(request, [f for f in selection.scenario.faults if f.when in ("submit", "any")])
    return selection


def select_for_body(
    request: Request, context: ProviderContext, body: Mapping[str, Any], api_key: str | None, field: str = "prompt"
) -> tuple[Selection, dict[str, Any]]:
    """`select` for a request whose prompt is `body[field]`; also the body with the scenario tag removed from
    the prompt (and the prompt left out when nothing else remains, so the gateway's own check sees it missing)."""
    prompt = body.get(field)
    selection = select(request, context, prompt if isinstance(prompt, str) else None, api_key)
    cleaned = dict(body)
    if isinstance(prompt, str) and selection.prompt != prompt:
        cleaned.pop(field)
        if selection.prompt:
            cleaned[field] = selection.prompt
    return selection, cleaned


def script(
    context: ProviderContext,
    selection: Selection,
    steps: Sequence[StepPlan],
    outcome: Outcome,
) -> Script:
    """The task's timeline once its scenario is applied; raises ScriptedError when the scenario refuses the submit."""
    scenario = local_scenario(context, selection.scenario)
    if scenario.reject is not None:
        raise catalogue_error(context, scenario.reject)
    failure = catalogue_failure(context, scenario.fail.error) if scenario.fail else None
    shaped, scripted_outcome, fail_at = scenario.shape(steps, failure)
    return Script(scenario, selection.prompt, shaped, scripted_outcome or outcome, fail_at)


def local_scenario(context: ProviderContext, scenario: Scenario) -> Scenario:
    """The scenario with the library's generic state names read as this gateway's (`x-lifecycle.aliases`)."""
    return scenario.in_states(context.contract.lifecycle.aliases)


def catalogue_error(context: ProviderContext, reference: str) -> ScriptedError:
    entry = context.contract.error(reference)
    status = int(entry["http_status"]) if entry is not None else 500
    return ScriptedError(entry, status, entry.get("retry_after") if entry else None, reference)


def catalogue_failure(context: ProviderContext, reference: str) -> dict[str, Any]:
    """The error object a failed task reports, from the catalogue entry (its `task_error`, else code/message)."""
    entry = context.contract.error(reference)
    if entry is None:
        return {"code": 500, "message": f"task failed ({reference})"}
    return dict(entry.get("task_error") or {"code": entry["code"], "message": entry["message"]})


def poll_fault(context: ProviderContext, view: TaskView) -> PollFault | None:
    return _poll_fault(context.scenarios.get(view.task.scenario), view)


def _poll_fault(scenario: Scenario, view: TaskView) -> PollFault | None:
    if not scenario.polls:
        return None  # most tasks: no generator to seed
    rng = Stream(f"{view.task.seed}:poll:{view.task.polls}".encode())
    return scenario.poll_fault(view.task.polls, rng)


def raise_poll_fault(request: Request, context: ProviderContext, view: TaskView) -> None:
    """Apply the task's scenario to this poll: attach its network faults, raise its scripted HTTP error."""
    scenario = context.scenarios.get(view.task.scenario)
    fault = _poll_fault(scenario, view)
    if scenario.faults:
        attach_network_faults(request, [f for f in scenario.faults if f.when in ("poll", "any")])
    if fault is not None and fault.network is not None:
        attach_network_faults(request, [fault.network])
    if fault is None or fault.status is None:
        return
    entry = context.contract.error(fault.error) if fault.error else None
    raise ScriptedError(entry, fault.status, fault.retry_after, fault.error or "")


@dataclass(slots=True)
class ResultTerms:
    has_url: bool
    expires: int
    available_from: int | None


def result_terms(context: ProviderContext, view: TaskView, default_ttl: float) -> ResultTerms:
    result = context.scenarios.get(view.task.scenario).result
    finished = view.finished_at if view.finished_at is not None else view.now
    ttl = result.ttl if result.ttl is not None else default_ttl
    lag = int(finished + result.unavailable_for) if result.unavailable_for else None
    return ResultTerms(result.url, int(finished + ttl), lag)
