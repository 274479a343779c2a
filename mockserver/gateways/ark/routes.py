"""Ark's content-generation routes: create, get, list and delete tasks under `/api/v3/contents/generations/tasks`,
and the callbacks a task with `callback_url` is owed."""

from __future__ import annotations

import hashlib
import math
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.engine import Outcome, TaskView
from mockserver.gateways.ark.errors import REQUEST_ID_HEADER, ArkErrors, ArkShape
from mockserver.gateways.ark.models import (
    Catalogue,
    Content,
    InvalidTaskRequest,
    Model,
    new_task_id,
    parse_create,
    plan,
    present,
    prompt_of,
    with_prompt,
)
from mockserver.gateways.ark.views import Results, task_object
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.callbacks import allowed_address, status_changes
from mockserver.gateways.kit.errors import exception_handlers
from mockserver.gateways.kit.http import (
    JsonResponse,
    addressed_as,
    bearer_token,
    mark_task,
    read_body,
    read_json,
)
from mockserver.gateways.kit.results import finished_at, kept_json, signed_result_url, signed_url, task_caption
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.media.picture import ImageSpec
from mockserver.media.spec import color_from_seed

TASKS = "/api/v3/contents/generations/tasks"
SUCCEEDED, CANCELLED, EXPIRED = Outcome("succeeded"), Outcome("cancelled"), "expired"
LIST_FILTERS = {"filter.status": "status", "filter.service_tier": "service_tier"}
MAX_PAGE = 500
_REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode("latin-1")


def account_of(key: str) -> str:
    """Whose a task is, as the task keeps it: a digest of the key that created it, never the key (tasks are shown
    by the admin API and the dashboard, and kept by the SQLite and Redis stores)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class ArkApi:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.shape = ArkShape(context)
        self.errors = ArkErrors(context.contract.errors)
        self.create_operation = context.contract.operation("createContentGenerationTask")
        self.catalogue = Catalogue.from_contract(context.contract)
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)
        self.cancelled_ttl = context.lifetime("cancelled_record", None)
        self.list_window = context.lifetime("list_window", None)
        callbacks = context.contract.extension("x-callbacks")
        self.callback_statuses, self.final_statuses = callbacks["statuses"], callbacks["final"]
        list_operation = context.contract.operation("listContentGenerationTasks")
        parameters = {p["name"]: p["schema"] for p in list_operation.spec["parameters"]}
        self.list_enums = {name: parameters[name]["enum"] for name in LIST_FILTERS}

    def authenticate(self, request: Request) -> str:
        key = bearer_token(request)
        if not key or not self.context.settings.accepts(key):
            raise self.errors.authentication()
        return key

    def answer(self, body: Any) -> Response:
        """A success, with the request id every Ark answer carries."""
        response = JsonResponse(body)
        response.raw_headers.append((_REQUEST_ID_NAME, self.shape.request_id().encode("latin-1")))
        return response

    # -- create ------------------------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        context = self.context
        key = self.authenticate(request)
        raw = await read_json(request, context.settings.max_body_bytes, context.settings.max_json_depth)
        if not isinstance(raw, dict):
            raise self.errors.invalid_parameter("", "The request body must be a JSON object")
        body = present(raw)
        content = body.get("content")
        readable = isinstance(content, list) and all(isinstance(item, dict) for item in content)
        prompt = prompt_of(content) if readable else None  # type: ignore[arg-type]
        selection = scripting.select(request, context, prompt if isinstance(prompt, str) else None, key)
        if isinstance(prompt, str) and selection.prompt != prompt:
            body["content"] = with_prompt(content, selection.prompt)  # type: ignore[arg-type]
        for name in ("model", "content"):
            if name not in body:
                raise self.errors.missing_parameter(name)
        violation = self.create_operation.check_request(body)
        if violation is not None:
            raise self.errors.invalid_parameter(violation.field or "body", violation.message)
        model = self.catalogue.models.get(body["model"])
        if model is None:
            raise self.errors.model_not_found(body["model"])
        content = Content.of(body["content"])
        if (broken := model.violation(body, content)) is not None:
            raise self.errors.invalid_parameter(*broken)
        self.check_extras(body, content.prompt)
        draft_of = await self.draft_of(body, content)
        try:
            video = parse_create(
                body, content, model, self.catalogue, max_pixels=context.settings.max_image_pixels, draft_of=draft_of
            )
        except InvalidTaskRequest as exc:
            raise self.errors.invalid_parameter(exc.param, str(exc)) from None
        number = await context.engine.offload(context.randomness.next_number, "ark:created")  # the list's order
        view = await self.submit(request, video | {"account": account_of(key), "number": number}, model, selection)
        answer = {"id": view.task.id}
        if "safety_identifier" in body:
            answer["safety_identifier"] = body["safety_identifier"]
        return self.answer(answer)

    def check_extras(self, body: dict[str, Any], prompt: str | None) -> None:
        """What the schema cannot say: the prompt's length (the mock's max_prompt_chars) and the callback address
        (the callback_hosts setting)."""
        reason = scripting.prompt_too_long(prompt, self.context.settings.max_prompt_chars)
        if reason is not None:
            raise self.errors.invalid_parameter("content.text", reason)
        url = body.get("callback_url")
        try:
            _ = url is not None and urlsplit(url).port
        except ValueError as exc:  # a port that is no number, or past 65535
            raise self.errors.invalid_parameter("callback_url", f"callback_url must be an http(s) URL: {exc}") from None
        if url is not None and not allowed_address(url, self.context.settings.callback_hosts):
            hosts = ", ".join(self.context.settings.callback_hosts)
            raise self.errors.invalid_parameter(
                "callback_url", f"the mock sends callbacks only to the callback_hosts setting's addresses ({hosts})"
            )

    async def draft_of(self, body: dict[str, Any], content: Content) -> str | None:
        """The id of the succeeded draft a `draft_task` item names (a draft of Seedance 1.5 pro), or None."""
        if "draft_task" not in content.kinds:
            return None
        item = next(i for i in body["content"] if i["type"] == "draft_task")
        draft_id = str(item["draft_task"]["id"])
        view = await self.context.engine.apeek(draft_id, self.context.provider_id)
        if view is None or not view.task.request.get("draft") or not view.succeeded:
            raise self.errors.invalid_parameter("content.draft_task.id", f"{draft_id} is not a succeeded draft task")
        return draft_id

    async def submit(self, request: Request, video: dict[str, Any], model: Model, selection: Any) -> TaskView:
        context = self.context
        now = context.clock.now()
        scripted = scripting.script(context, selection, plan(video, model, context.settings.timings), SUCCEEDED)
        submission = scripted.submission(context, video, new_task_id(now), self.task_ttl)
        expires_after = float(video["execution_expires_after"])
        message = f"The task did not finish within execution_expires_after ({int(expires_after)} s)."
        submission.deadline = (expires_after, Outcome(EXPIRED, error={"code": "TaskExpired", "message": message}))
        view = await scripting.submit(context, submission)
        mark_task(request, view.task.id)
        if video.get("callback_url"):
            address = addressed_as(request)  # rendered later: keep the address, not the connection
            context.callbacks.watch(
                view.task.id,
                video["callback_url"],
                lambda view, status, at: self.callback_object(address, view, status, at),
                statuses=self.callback_statuses,
                final=self.final_statuses,
                script=context.scenarios.get(view.task.scenario).callbacks,
            )
        return view

    # -- get -----------------------------------------------------------------------------------------------------
    async def get(self, request: Request) -> Response:
        key = self.authenticate(request)
        task_id = request.path_params["task_id"]
        view = self.owned(await self.context.engine.apoll(self.context.provider_id, task_id), key)
        if view is None:
            raise self.errors.task_not_found(task_id)
        mark_task(request, task_id)
        self.context.callbacks.polled(view)  # counted whatever this poll is answered
        scripting.raise_poll_fault(request, self.context, view)
        return self.answer(self.current(request, view))

    def current(self, request: Request, view: TaskView) -> Any:
        """The task object now: a finished task's rendered once and kept."""
        if view.terminal:
            return kept_json(
                request, self.context, view, "task", lambda: self.at(request, view, view.state, finished_at(view))
            )
        changes = status_changes(view)
        return self.at(request, view, view.state, changes[-1][1])

    def at(self, request: Request, view: TaskView, status: str, since: float) -> dict[str, Any]:
        results = self.results(request, view) if status == "succeeded" else None
        error = view.task.schedule.outcome.error if status in ("failed", EXPIRED) else None
        return task_object(view, status, since, results, error)

    def callback_object(self, request: Request, view: TaskView, status: str, at: float) -> dict[str, Any]:
        """The task object a callback carries: as GET answers it at that status (URLs at the address the create
        came to)."""
        return self.at(request, view, status, at)

    def results(self, request: Request, view: TaskView) -> Results:
        task = view.task
        model = task.request["model"]
        video_url = signed_result_url(
            request, self.context, view, f"{model}/{task.id}.mp4", self.url_ttl, pending="video_not_ready"
        )
        last_frame = None
        if task.request.get("return_last_frame"):
            spec = ImageSpec(
                task.request["width"], task.request["height"], "png", color_from_seed(task.seed), task_caption(view)
            )
            expires = math.floor(finished_at(view) + self.url_ttl)
            last_frame = signed_url(
                self.context, request, f"{model}/{task.id}_last_frame.png", spec.to_params(), expires
            )
        return Results(video_url or "", last_frame)

    @staticmethod
    def owned(view: TaskView | None, key: str) -> TaskView | None:
        """Another key's task is not found (assumed: tasks belong to the account whose key created them)."""
        return view if view is not None and view.task.request.get("account") == account_of(key) else None

    # -- list ----------------------------------------------------------------------------------------------------
    async def list(self, request: Request) -> Response:
        key = self.authenticate(request)
        query = request.query_params
        page_num, page_size = self.page_param(query, "page_num", 1), self.page_param(query, "page_size", 10)
        wanted: dict[str, str] = {}
        for name, field in LIST_FILTERS.items():
            value = query.get(name)
            if value is not None and value not in self.list_enums[name]:
                raise self.errors.invalid_parameter(name, f"use one of {', '.join(self.list_enums[name])}")
            if value is not None:
                wanted[field] = value
        model, ids = query.get("filter.model"), set(query.getlist("filter.task_ids"))
        account = account_of(key)
        since = self.context.clock.now() - self.list_window
        selected = [
            view
            for view in await self.context.engine.atasks(self.context.provider_id)
            if view.task.request.get("account") == account
            and view.task.created_at >= since
            and (model is None or view.task.request["model"] == model)
            and (not ids or view.task.id in ids)
            and all((view.state if f == "status" else view.task.request[f]) == v for f, v in wanted.items())
        ]
        selected.sort(key=lambda view: (view.task.created_at, view.task.request["number"]), reverse=True)
        page = selected[(page_num - 1) * page_size : page_num * page_size]
        return self.answer({"total": len(selected), "items": [self.current(request, view) for view in page]})

    def page_param(self, query: Any, name: str, default: int) -> int:
        raw = query.get(name)
        if raw is None:
            return default
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_PAGE):
            raise self.errors.invalid_parameter(name, f"{name} must be an integer from 1 to {MAX_PAGE}")
        return int(text)

    # -- delete --------------------------------------------------------------------------------------------------
    async def delete(self, request: Request) -> Response:
        """queued: cancelled, kept 24 hours; succeeded, failed or expired: the record goes; running or cancelled:
        refused (documented)."""
        context = self.context
        key = self.authenticate(request)
        await read_body(request, context.settings.max_body_bytes)  # the SDK sends `{}`: read (and journaled), unused
        task_id = request.path_params["task_id"]
        view = self.owned(await context.engine.apeek(task_id, context.provider_id), key)
        if view is None:
            raise self.errors.task_not_found(task_id)
        mark_task(request, task_id)
        if view.state == "queued":
            ended = await context.engine.offload(
                context.engine.end, context.provider_id, task_id, CANCELLED, self.cancelled_ttl
            )
            if ended is None:  # ended or deleted meanwhile (a request to another worker)
                current = await context.engine.apeek(task_id, context.provider_id)
                if current is None:
                    raise self.errors.task_not_found(task_id)
                raise self.errors.not_deletable(current.state)
            context.callbacks.forget(task_id)
        elif view.state in ("running", "cancelled"):
            raise self.errors.not_deletable(view.state)
        elif await context.engine.adelete(context.provider_id, task_id):
            context.callbacks.forget(task_id)
        else:  # deleted meanwhile, by another request
            raise self.errors.task_not_found(task_id)
        return self.answer({})


class ArkProvider:
    id = "ark"
    contract = "ark"

    def build(self, context: ProviderContext) -> GatewayApp:
        api = ArkApi(context)
        routes = [
            Route(TASKS, api.create, methods=["POST"]),
            Route(TASKS, api.list, methods=["GET"]),
            Route(TASKS + "/{task_id}", api.get, methods=["GET"]),
            Route(TASKS + "/{task_id}", api.delete, methods=["DELETE"]),
        ]
        return GatewayApp(routes, exception_handlers=exception_handlers(api.shape))
