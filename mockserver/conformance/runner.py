"""Drives a gateway through its operations, as its contract's `x-conformance` describes, and runs every check.

Free probes first (rejections sent with no key at all, which cannot create a task). Then the probes sent with
the key, while the budget allows and still leaves one unit for a task: a gateway whose checks are broken, or
whose rules the contract got wrong, would make each a paid task. Then paid submissions (the plan's `submit` and
`also-submit` in turn), each polled politely to its end (back-off, the gateway's poll hints, Retry-After), its
result fetched and downloaded. Every request that carries the key and could create a task (any method but GET,
HEAD and OPTIONS) spends one unit of the budget, so a run never exceeds it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from mockserver.conformance.exchange import MISSING, Exchange, field_at
from mockserver.conformance.failures import CheckFailure
from mockserver.conformance.lifecycle_checks import Observation, TaskHistory
from mockserver.conformance.media_checks import MediaResult
from mockserver.conformance.registry import checks
from mockserver.conformance.results import Outcome, RunResult
from mockserver.conformance.target import Target
from mockserver.contracts.contract import Contract, load_contract
from mockserver.core.clock import SystemClock
from mockserver.media.picture import ImageSpec, render_image_bytes

MAX_RETRIES = 5
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class OutOfTime(Exception):
    pass


class OverBudget(Exception):
    """A request would spend more than the budget: the runner's own guard, never expected to fire."""


class Runner:
    def __init__(
        self,
        target: Target,
        *,
        budget: int = 0,
        timeout: float = 900.0,
        first_interval: float = 2.0,
        max_interval: float = 30.0,
        contract: Contract | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target
        self.contract = contract or load_contract(target.provider)
        self.plan: Mapping[str, Any] = self.contract.extension("x-conformance")
        self.budget = max(0, budget)
        self.timeout = timeout
        self.first_interval, self.max_interval = first_interval, max_interval
        self.result = RunResult(target.provider, target.description, budget=self.budget, secrets=(target.api_key,))
        self.progress = progress
        """Told a line of news while a run waits (which task, which state, how long): the terminal's view."""
        self._wall = SystemClock()
        self._started = self._wall.now()
        self._waited = 0.0
        self._tasks = 0

    # time ------------------------------------------------------------------------------------------------
    def wall_seconds(self) -> float:
        return self._wall.now() - self._started

    def virtual_seconds(self) -> float:
        """Time the run let pass on the target's virtual clock (none on a target that really waits)."""
        return self._waited if self.target.virtual_time else 0.0

    def elapsed(self) -> float:
        """The run's time as the gateway sees it, which the global timeout bounds."""
        return self.wall_seconds() + self.virtual_seconds()

    def wait(self, seconds: float) -> None:
        if self.elapsed() + seconds > self.timeout:
            raise OutOfTime(f"the run would pass its {self.timeout:g} s limit (--timeout)")
        self.target.wait(seconds)
        self._waited += seconds

    def say(self, news: str) -> None:
        if self.progress is not None:
            self.progress(self.result.redact(news))

    # the run ---------------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        try:
            probes = self.plan.get("free", ())
            for probe in [p for p in probes if not p.get("auth", True)] + [p for p in probes if p.get("auth", True)]:
                self.free_probe(probe)
            while self.result.submissions < self.budget:
                self.paid_task()
        except OutOfTime as exc:
            self.result.timed_out = f"{exc}{self.target.hint}"
        except httpx.HTTPError as exc:
            self.record("run", "gateway_reachable", CheckFailure("Gateway unreachable", f"{type(exc).__name__}: {exc}"))
        self.result.wall_seconds = self.wall_seconds()
        self.result.virtual_seconds = self.virtual_seconds()
        return self.result

    def spends(self, method: str, headers: Mapping[str, str], path: str = "") -> bool:
        """Whether a request could create a task billed to the key: it carries the key and may write (an operation
        the contract marks `x-creates-nothing`, a POST that only reads as an Action API's are, never does)."""
        if method.upper() in SAFE_METHODS or "Authorization" not in headers:
            return False
        operation = self.contract.match(method, "/" + path.lstrip("/")) if path else None
        return operation is None or not operation.spec.get("x-creates-nothing", False)

    def free_probe(self, probe: Mapping[str, Any]) -> None:
        operation = self.contract.operation(probe["operation"])
        path = operation.path.format(**probe.get("path", {}))
        headers = self.headers(auth=probe.get("auth", True))
        name = probe["name"]
        if self.spends(operation.method, headers, path) and self.result.submissions + 1 >= self.budget:
            self.result.skipped.append(f"probe: {name}")  # the last unit of the budget is kept for a paid task
            return
        exchange = self.call(operation.method, path, headers, probe.get("body"))
        if exchange.status not in probe["expect"]:
            failure = CheckFailure(
                "Unexpected answer to a free probe",
                f"{name}: expected HTTP {' or '.join(map(str, probe['expect']))}, got {exchange.status}",
                exchange.evidence(),
            )
            self.record(exchange.label, f"probe: {name}", failure)
        else:
            self.record(exchange.label, f"probe: {name}", None)

    def submit_plans(self) -> list[Mapping[str, Any]]:
        """The plan's submits, taken in turn by the paid tasks: `submit`, then each of `also-submit`."""
        return [self.plan["submit"], *self.plan.get("also-submit", ())]

    def submit_body(self, submit: Mapping[str, Any]) -> Any:
        """The submit's body, with a generated image where it asks for one (`image: {field, width, height}`)."""
        body = dict(submit["body"])
        if image := submit.get("image"):
            picture = render_image_bytes(ImageSpec(image["width"], image["height"], "png", "3c78b4"))
            body[image["field"]] = [base64.b64encode(picture).decode()]
        return body

    def paid_task(self) -> None:
        plans = self.submit_plans()
        submit, poll = plans[self._tasks % len(plans)], self.plan["poll"]
        self._tasks += 1
        operation = self.contract.operation(submit["operation"])
        exchange = self.call(operation.method, operation.path, self.headers(), self.submit_body(submit), retry=False)
        task_id = field_at(exchange.json, submit["task-id"]) if exchange.status == 200 else MISSING
        if task_id is MISSING or not isinstance(task_id, str | int):
            self.record(
                exchange.label,
                "task_accepted",
                CheckFailure("Submit not accepted", f"no task id at {submit['task-id']}", exchange.evidence()),
            )
            return
        self.record(exchange.label, "task_accepted", None)
        self.say(f"task {task_id} submitted ({exchange.label}, paid {self.result.submissions}/{self.budget})")
        history = self.poll_to_end(str(task_id), poll)
        if history is None or not history.last.succeeded:
            return
        if "result" in self.plan:
            self.fetch_result(str(task_id))
        if history.last.result_url:  # a success without one is already a lifecycle failure
            self.download(str(history.last.result_url), submit.get("expect", {}))

    def poll_request(self, task_id: str) -> tuple[str, str, Any]:
        """Method, path and body of a poll of `task_id`: the id in the path (`path-param`) or in the body (`body`, a
        template whose "{task_id}" values are replaced), as the plan's poll says."""
        poll = self.plan["poll"]
        operation = self.contract.operation(poll["operation"])
        path = operation.path.format(**{poll["path-param"]: task_id}) if "path-param" in poll else operation.path
        body = poll.get("body")
        if body is not None:
            body = {name: task_id if value == "{task_id}" else value for name, value in body.items()}
        return operation.method, path, body

    def poll_to_end(self, task_id: str, poll: Mapping[str, Any]) -> TaskHistory | None:
        method, path, body = self.poll_request(task_id)
        history = TaskHistory(task_id, self.contract.lifecycle)
        interval = self.first_interval
        submitted = self.elapsed()
        while True:
            exchange = self.call(method, path, self.headers(), body)
            if exchange.status != 200 and not self.is_task_answer(exchange):
                self.record(
                    exchange.label,
                    "task_readable",
                    CheckFailure("Poll failed", f"task {task_id} answered {exchange.status}", exchange.evidence()),
                )
                return None
            history.observations.append(self.observe(exchange))
            for registered in checks("lifecycle"):
                self.run_check(exchange.label, registered, history)
            before = history.previous
            if before is not None and before.status in history.lifecycle.terminal:
                return history  # one more poll after the end, to see that a terminal status stays
            hint = self.poll_hint(exchange, poll)
            pause = max(interval, hint)
            since = self.elapsed() - submitted
            self.say(f"task {task_id}: {history.last.status} after {since:.0f} s; next poll in {pause:.0f} s")
            self.wait(pause)
            interval = min(interval * 1.5, self.max_interval)

    def is_task_answer(self, exchange: Exchange) -> bool:
        """Some gateways answer a failed task's poll with an error status (api.gpt.ge: HTTP 400/500, status done)."""
        status_field = self.contract.extension("x-lifecycle")["status-field"]
        return field_at(exchange.json, status_field) in self.contract.lifecycle.states

    def observe(self, exchange: Exchange) -> Observation:
        spec = self.contract.extension("x-lifecycle")
        body = exchange.json
        status = field_at(body, spec["status-field"])
        progress = field_at(body, spec["progress-field"]) if spec.get("progress-field") else None
        url = field_at(body, self.plan.get("result-url", spec.get("result-field", "")))
        succeeded = status == spec["success"]
        rule = self.plan["poll"].get("succeeded-when")
        if succeeded and rule:
            succeeded = field_at(body, rule["field"]) == rule["equals"]
        return Observation(
            status=None if status is MISSING else status,
            progress=None if progress is MISSING else progress,
            result_url=None if url is MISSING else url,
            succeeded=succeeded,
            evidence=exchange.evidence(),
        )

    def poll_hint(self, exchange: Exchange, poll: Mapping[str, Any]) -> float:
        header = poll.get("interval-header")
        value = exchange.headers.get(header.lower()) if header else None
        try:
            return float(value) / float(poll.get("interval-unit", 1000)) if value else 0.0
        except ValueError:
            return 0.0

    def fetch_result(self, task_id: str) -> None:
        spec = self.plan["result"]
        operation = self.contract.operation(spec["operation"])
        path = operation.path.format(**{spec["path-param"]: task_id})
        self.call(operation.method, path, self.headers(), None)

    def download(self, url: str, expect: Mapping[str, Any] | None = None) -> None:
        """Download a result and run the media checks, against `expect` (default: the plan's submit)."""
        response = self.target.download(url)
        media = MediaResult(
            url=url.split("?")[0],
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=response.content,
            expect=self.plan["submit"].get("expect", {}) if expect is None else expect,
        )
        for registered in checks("media"):
            self.run_check("result media", registered, media)

    # plumbing --------------------------------------------------------------------------------------------
    def headers(self, auth: bool = True) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.api_key}"} if auth else {}

    def call(self, method: str, path: str, headers: Mapping[str, str], body: Any, retry: bool = True) -> Exchange:
        """Send, honouring Retry-After on 429 (a refused request that spends budget is not re-sent)."""
        spends = self.spends(method, headers, path)
        for _ in range(MAX_RETRIES):
            if spends:
                if self.result.submissions >= self.budget:
                    raise OverBudget(f"{method} {path} would spend more than the budget of {self.budget}")
                self.result.submissions += 1
            response = self.target.send(method, path, headers=headers, body=body)
            exchange = Exchange(
                self.contract,
                method,
                "/" + path.lstrip("/"),
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                response.content,
            )
            for registered in checks("response"):
                self.run_check(exchange.label, registered, exchange)
            retry_after = exchange.headers.get("retry-after")
            if not (retry and not spends and exchange.status == 429 and retry_after):
                return exchange
            self.wait(_seconds(retry_after))
        return exchange

    def run_check(self, subject: str, registered: Any, value: Any) -> None:
        try:
            registered(value)
        except CheckFailure as failure:
            self.record(subject, registered.name, failure)
        else:
            note = "; ".join(getattr(value, "notes", ()))
            self.record(subject, registered.name, None, note)

    def record(self, operation: str, check: str, failure: CheckFailure | None, note: str = "") -> None:
        self.result.outcomes.append(Outcome(self.target.provider, operation, check, failure, note))


def _seconds(value: str) -> float:
    try:
        return max(0.0, float(value))
    except ValueError:
        return 1.0
