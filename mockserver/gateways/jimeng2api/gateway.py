"""What every jimeng2api route shares: authentication (API keys or session tokens), choosing the Jimeng account,
putting a task in the queue, and rendering the task object and its result (reference A.3, A.5).

HTTP-free, as the other gateways' models are: the routes read the request and hand over plain values (the
credential, the task's scenario, the address result URLs are signed for)."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.contracts.contract import Violation
from mockserver.engine import Outcome, Submission, TaskView, with_timings
from mockserver.gateways.families.queues import FifoQueue
from mockserver.gateways.jimeng2api import errors
from mockserver.gateways.jimeng2api.accounts import Accounts, SessionToken, parse_token
from mockserver.gateways.jimeng2api.errors import Jimeng2ApiError
from mockserver.gateways.jimeng2api.models.failures import TaskFailure, from_entry
from mockserver.gateways.jimeng2api.models.tasks import (
    CONCURRENCY,
    IMAGE_POLL_BUDGET,
    RUNNING,
    VIDEO_POLL_BUDGET,
    Steps,
    new_task_id,
    settle,
)
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.results import StoredOutput, signed_url_at, task_caption, task_images
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.media.picture import ImageSpec
from mockserver.media.render import render_image, render_video
from mockserver.media.spec import VideoSpec, color_from_seed
from mockserver.scenarios import Scenario, Selection


@dataclass
class Caller:
    api_key_id: str | None
    legacy_tokens: tuple[str, ...] = ()


@dataclass(slots=True)
class Job:
    """A validated generation request, ready to queue."""

    type: str  # image_generation | image_composition | video_generation
    prompt: str
    response_format: str
    media: dict[str, Any]
    failure: TaskFailure | None
    cost: int
    steps: Steps
    """Its typical queued and running steps (`models_tasks.generation_steps`)."""
    details: dict[str, Any]

    @property
    def kind(self) -> str:
        return "video" if self.type == "video_generation" else "image"


def violation_error(violation: Violation) -> Jimeng2ApiError:
    """The contract's `x-message` is the server's message; the param is the field it names."""
    message = violation.message
    if message.startswith("Params "):
        return errors.params_invalid(message.split(" ")[1])
    if message.startswith("不支持的参数"):  # the server's invalidRequest(message) names no param
        return errors.bad_request(message, None)
    return errors.bad_request(message, violation.field or None)


SUCCEEDED = Outcome("succeeded")
Address = Callable[[], str]
"""Where result URLs point (`scheme://host[:port]`): the address the client called, or the configured public URL;
read by the routes from the request, and only when a URL is signed."""


class Gateway:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        settings = context.settings
        self.accounts = Accounts(context.randomness, settings.api_keys or frozenset(), limit=settings.max_accounts)
        self.queue = FifoQueue.of(CONCURRENCY)
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)
        self._failures: dict[tuple[str, str, int | None], tuple[TaskFailure, Outcome]] = {}
        context.reset_hooks.append(self.reset)
        self.reset()

    def reset(self) -> None:
        self.accounts.reset(self.context.clock.now())
        self.queue.reset()

    # -- who calls ------------------------------------------------------------------------------
    def authenticate(self, credential: str | None) -> Caller:
        if credential is None:
            raise errors.missing_api_key()
        key = self.accounts.find_key(credential)
        if key is not None:
            key.last_used = self.context.clock.now()
            return Caller(key.id)
        if self.accounts.legacy_mode and not credential.startswith("jm_"):
            return Caller(None, tuple(credential.split(",")))
        raise errors.invalid_api_key()

    def acquire(self, caller: Caller) -> tuple[SessionToken, str | None]:
        """The Jimeng account for one task: round-robin managed tokens, or one of the caller's session tokens."""
        if caller.api_key_id is None:
            number = self.context.randomness.event_number("jimeng2api:legacy-token")
            raw = caller.legacy_tokens[number % len(caller.legacy_tokens)]
            return parse_token(raw), None
        token = self.accounts.next_token()
        if token is None:
            raise errors.no_healthy_tokens()
        session = token.session()
        if session.expired:  # token-retry: once, with the next token, on login expiry
            retry = self.accounts.next_token()
            if retry is not None and retry.id != token.id and not retry.session().expired:
                return retry.session(), retry.id
        return session, token.id

    # -- queueing -------------------------------------------------------------------------------
    def scripted_failure(self, scenario: Scenario, kind: str) -> tuple[TaskFailure, Outcome] | None:
        """The scenario's failure; a success without a URL is the server's -2007 when generation ends."""
        if scenario.fail is not None:
            return self.catalogue_failure(scenario.fail.error, kind, scenario.fail.at_progress)
        if not scenario.result.url:
            return self.catalogue_failure("no_url", kind, RUNNING[1])
        return None

    def catalogue_failure(
        self, reference: str, kind: str, at_progress: int | None = None
    ) -> tuple[TaskFailure, Outcome]:
        """A catalogue entry's failure and the outcome it gives a task, built once: a task that runs out of
        credits is the common failure under load. Neither is changed once made."""
        key = (reference, kind, at_progress)
        found = self._failures.get(key)
        if found is None:
            failure = from_entry(self.context.contract.error(reference), kind, at_progress)
            found = self._failures[key] = (failure, Outcome("failed", error=failure.error()))
        return found

    async def enqueue(
        self,
        caller: Caller,
        job: Job,
        session: SessionToken,
        token_id: str | None,
        selection: Selection,
    ) -> TaskView:
        """Queue the job as a task, with its scenario, on the chosen account."""
        context, now, kind = self.context, self.context.clock.now(), job.kind
        # the typical steps with the settings' timings; the typical queued step's 0 s stands for "the queue's"
        draft = with_timings(job.steps, context.settings.timings)
        scripted = scripting.script(context, selection, draft, SUCCEEDED)
        scenario = scripted.scenario  # already in this gateway's state names
        if job.failure is not None:  # found in the request itself (an unsupported model, an unreadable image)
            failed: tuple[TaskFailure, Outcome] | None = (job.failure, Outcome("failed", error=job.failure.error()))
        else:
            failed = self.scripted_failure(scenario, kind)
        if failed is None and session.expired:
            failed = self.catalogue_failure("token_expired", kind)
        await scripting.ensure_room(context)  # a full store refuses before the credits are spent
        if failed is None and not self.accounts.spend(session, job.cost, now):
            failed = self.catalogue_failure("insufficient_credit", kind)
        failure, outcome = failed or (None, SUCCEEDED)
        budget = VIDEO_POLL_BUDGET if kind == "video" else IMAGE_POLL_BUDGET
        queue_scripted = "queued" in context.settings.timings or "queued" in scenario.timings
        record = {
            "type": job.type,
            "prompt": job.prompt,
            "response_format": job.response_format,
            "media": job.media,
            "api_key_id": caller.api_key_id,
            "token_id": token_id,
            "region": session.region,
            **job.details,
        }
        view = await scripting.submit(
            self.context,
            Submission(
                provider=context.provider_id,
                lifecycle=context.contract.lifecycle,
                plan=scripted.steps,
                outcome=outcome,
                request=record,
                new_id=new_task_id,
                retention=self.task_ttl,
                scenario=scenario.name,
                fail_at_progress=None,  # the failure's cut is settled with the queue
                status_lag=scenario.status_lag,
                settle=lambda steps, rng: settle(self.queue, now, steps, failure, budget, queue_scripted, rng),
            ),
        )
        return view

    @classmethod
    def queued_object(cls, view: TaskView) -> dict[str, Any]:
        """The task object a submit answers: queued, created and updated at its submission."""
        task, created = view.task, int(view.task.created_at)
        return cls._base(task.id, task.request["type"], "queued", created, created, task.request)

    # -- reading --------------------------------------------------------------------------------
    async def find(self, caller: Caller, task_id: str) -> TaskView:
        view = await self.context.engine.apoll(self.context.provider_id, task_id)
        if view is None or view.task.request["api_key_id"] != caller.api_key_id:
            raise errors.task_not_found(task_id)
        return view

    def task_object(self, view: TaskView, address: Address) -> dict[str, Any]:
        """The task as `GET /v1/tasks/{id}` answers it; result URLs are signed under `address()`."""
        task = view.task
        body = self._base(
            task.id, task.request["type"], view.state, int(task.created_at), self._updated(view), task.request
        )
        extra: dict[str, Any] = {}
        if view.succeeded:
            extra["result"] = self.result(view, address)
        elif view.terminal:
            extra["error"] = dict(task.schedule.outcome.error or {})
        owners = {"api_key_id": body.pop("api_key_id"), "token_id": body.pop("token_id")}
        return body | extra | owners

    @staticmethod
    def _base(
        task_id: str, kind: str, status: str, created: int, updated: int, record: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": task_id,
            "object": "task",
            "type": kind,
            "status": status,
            "created": created,
            "updated": updated,
            "result_url": f"/v1/tasks/{task_id}",
            "api_key_id": record["api_key_id"],
            "token_id": record["token_id"],
        }

    @staticmethod
    def _updated(view: TaskView) -> int:
        task = view.task
        if view.terminal:
            return int(view.finished_at if view.finished_at is not None else view.now)
        changed = 0.0
        for phase in task.schedule.phases:
            if phase.until_seconds is not None and view.now - task.created_at >= phase.until_seconds:
                changed = phase.until_seconds
        return int(task.created_at + changed)

    @staticmethod
    def inlines_media(view: TaskView) -> bool:
        """The task answers with its media as base64 (`response_format: b64_json`): too big to keep per task."""
        return bool(view.task.request["response_format"] == "b64_json")

    def result(self, view: TaskView, address: Address) -> dict[str, Any]:
        """The finished task's `result` object, its URLs signed under `address()`."""
        task, media = view.task, view.task.request["media"]
        finished = view.finished_at if view.finished_at is not None else view.now
        terms = scripting.result_terms(self.context, view, self.url_ttl)
        expires = terms.expires  # the scenario's URL lifetime, and its CDN lag (404 until `nbf`)
        lag = {"nbf": str(terms.available_from)} if terms.available_from is not None else {}
        as_base64 = task.request["response_format"] == "b64_json"
        day = utc_stamp(math.floor(finished), "%Y%m%d")
        base = address()
        data: list[dict[str, Any]] = []
        if task.request["type"] == "video_generation":
            first, last = task_images(task.request)
            spec = VideoSpec.of(
                StoredOutput.of(media),
                color_from_seed(task.seed),
                caption=task_caption(view),
                first_image=first,
                last_image=last,
            )
            if as_base64:
                item = {"b64_json": base64.b64encode(render_video(spec).body).decode()}
            else:
                path = f"tos-cn-v-148450/{day}/{task.id}.mp4"
                item = {"url": signed_url_at(self.context, base, path, spec.to_params() | lag, expires)}
            data.append(item | {"revised_prompt": task.request["prompt"]})
        else:
            for index in range(media["count"]):
                image = ImageSpec(
                    media["width"],
                    media["height"],
                    "webp",
                    color_from_seed(task.seed + 47 * index),
                    task_caption(view),
                    task.request.get("ratio") or "",
                    task.request.get("resolution") or "",
                    tuple(task.request.get("image_keys") or ()),
                )
                if as_base64:
                    data.append({"b64_json": base64.b64encode(render_image(image).body).decode()})
                else:
                    path = f"tos-cn-i-tb4s082cfz/{day}/{task.id}-{index}.webp"
                    data.append({"url": signed_url_at(self.context, base, path, image.to_params() | lag, expires)})
        result: dict[str, Any] = {"created": int(finished), "data": data}
        if task.request["type"] == "image_composition":
            result |= {"input_images": task.request["input_images"], "composition_type": "multi_image_synthesis"}
        return result
