"""OctopusX's HTTP surface: the OpenAI video routes under `/v1/videos` and the unified `/v1/video/*` routes."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.engine import TaskView
from mockserver.engine.engine import IdFactory
from mockserver.gateways.families import newapi
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.cors import GIN_ALL_ORIGINS
from mockserver.gateways.kit.errors import exception_handlers
from mockserver.gateways.kit.http import is_form, mark_task, read_form, read_json
from mockserver.gateways.kit.results import finished_at, kept_json, signed_result_url, video_spec
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.gateways.kit.stamps import utc_day_path
from mockserver.gateways.octopusx import views
from mockserver.gateways.octopusx.errors import (
    ContentExpired,
    ContentUnavailable,
    InvalidRequest,
    InvalidVariant,
    NewApiShape,
    TaskNotExist,
    TaskNotFound,
    VideoNotReady,
)
from mockserver.gateways.octopusx.models import (
    InvalidVideoRequest,
    VideoRequest,
    new_unified_id,
    new_video_id,
    parse_create,
    parse_unified,
    plan,
)
from mockserver.media.render import RENDERERS
from mockserver.media.routes import deliver
from mockserver.scenarios import Selection

POLL_AFTER_HEADER = b"openai-poll-after-ms"
VARIANTS = {"video": "mp4", "thumbnail": "webp", "spritesheet": "jpg"}
DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT = 20, 100


class OctopusxApi:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.create_operation = context.contract.operation("createVideo")
        self.unified_operation = context.contract.operation("createUnifiedVideo")
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)
        hint = context.contract.extension("x-poll-after-ms")
        self.poll_after_ms, self.poll_after_minimum_ms = int(hint["value"]), int(hint["minimum"])

    def poll_after_header(self) -> tuple[bytes, bytes]:
        """`openai-poll-after-ms`: the gateway's interval as a wait in real time, so scaled by the clock's speed
        (a clock 50 times faster: a fiftieth), never below the minimum; a virtual clock (scale 0), where
        waiting moves nothing, gets the minimum."""
        milliseconds = max(self.poll_after_minimum_ms, round(self.poll_after_ms * self.context.clock.scale))
        return POLL_AFTER_HEADER, b"%d" % milliseconds

    async def create(self, request: Request) -> Response:
        context = self.context
        key = newapi.authenticate(request, context)
        fields, files = await self._create_body(request)
        selection, fields = newapi.checked_submission(request, context, self.create_operation, fields, key)
        try:
            video = parse_create(fields, files, context.settings.max_image_pixels)
        except InvalidVideoRequest as exc:
            raise InvalidRequest(str(exc)) from None
        view = await self._submit(request, video, selection, new_video_id)
        return newapi.json_response(context, views.created(view))

    async def _create_body(self, request: Request) -> tuple[dict[str, Any], list[bytes]]:
        limit = self.context.settings.max_body_bytes
        if not is_form(request):
            body = await read_json(request, limit, self.context.settings.max_json_depth)
            if not isinstance(body, dict):
                raise InvalidRequest("request body must be a JSON object or multipart/form-data")
            return body, []
        fields: dict[str, Any] = {}
        files: list[bytes] = []
        form = await read_form(request, limit)
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != "input_reference":
                        raise InvalidRequest(f"unexpected file field {key!r}: only input_reference takes a file")
                    files.append(await value.read())
                else:
                    fields.setdefault(key, value)
        finally:
            await form.close()
        return fields, files

    async def create_unified(self, request: Request) -> Response:
        context = self.context
        selection, body = await newapi.read_submission(request, context, self.unified_operation)
        video = parse_unified(body)
        view = await self._submit(request, video, selection, new_unified_id)
        return newapi.json_response(context, views.unified_created(view))

    async def _submit(self, request: Request, video: VideoRequest, selection: Selection, new_id: IdFactory) -> TaskView:
        context = self.context
        steps, outcome = plan(video, context.settings.timings)
        scripted = scripting.script(context, selection, steps, outcome)
        submission = scripted.submission(context, video.to_dict(), new_id, self.task_ttl)
        view = await scripting.submit(context, submission)
        mark_task(request, view.task.id)
        return view

    async def retrieve(self, request: Request) -> Response:
        view = await newapi.polled_task(request, self.context, request.path_params["video_id"])
        scripting.raise_poll_fault(request, self.context, view)
        if view.terminal:
            build = lambda: views.video(view, self._results(request, view))  # noqa: E731
            response = newapi.json_response(self.context, kept_json(request, self.context, view, "video", build))
        else:
            response = newapi.json_response(self.context, views.video(view, None))
        response.raw_headers.append(self.poll_after_header())  # as `headers[...] = ...` appends a header not yet set
        return response

    async def query_unified(self, request: Request) -> Response:
        newapi.authenticate(request, self.context)
        task_id = request.query_params.get("id", "").strip()
        if not task_id:
            raise InvalidRequest("id is required: GET /v1/video/query?id=<task_id>")
        view = await newapi.polled_task(request, self.context, task_id)
        scripting.raise_poll_fault(request, self.context, view)
        if view.terminal:
            build = lambda: views.unified_query(view, self._results(request, view))  # noqa: E731
            return newapi.json_response(self.context, kept_json(request, self.context, view, "unified", build))
        return newapi.json_response(self.context, views.unified_query(view, None))

    async def list(self, request: Request) -> Response:
        newapi.authenticate(request, self.context)
        limit, order, after = self._list_params(request)
        tasks = await self.context.engine.atasks(self.context.provider_id)
        if order == "desc":
            tasks.reverse()
        start = 0
        if after is not None:
            ids = [view.task.id for view in tasks]
            if after not in ids:
                raise InvalidRequest(f"after: no video {after!r}")
            start = ids.index(after) + 1
        page = tasks[start : start + limit]
        body = {
            "object": "list",
            "data": [views.video(view, self._results(request, view)) for view in page],
            "first_id": page[0].task.id if page else None,
            "last_id": page[-1].task.id if page else None,
            "has_more": start + limit < len(tasks),
        }
        return newapi.json_response(self.context, body)

    def _list_params(self, request: Request) -> tuple[int, str, str | None]:
        query = request.query_params
        raw_limit = query.get("limit", str(DEFAULT_LIST_LIMIT))
        # ASCII digits only (str.isdigit() also takes "²"), and no more of them than the largest limit has once
        # leading zeros are dropped: int() refuses strings past 4,300 digits
        significant = raw_limit.lstrip("0")
        digits = raw_limit.isascii() and raw_limit.isdigit() and len(significant) <= len(str(MAX_LIST_LIMIT))
        limit = int(significant or "0") if digits else 0
        if not 1 <= limit <= MAX_LIST_LIMIT:
            shown = raw_limit[:20]  # an over-long value is not echoed whole
            raise InvalidRequest(f"limit {shown!r} is not supported: use an integer from 1 to {MAX_LIST_LIMIT}")
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise InvalidRequest(f"order {order!r} is not supported: use asc or desc")
        return limit, order, query.get("after") or None

    async def delete(self, request: Request) -> Response:
        context = self.context
        newapi.authenticate(request, context)
        task_id = request.path_params["video_id"]
        view = await context.engine.apeek(task_id, context.provider_id)
        if view is None:
            raise TaskNotExist()
        mark_task(request, task_id)
        if not view.terminal:
            raise InvalidRequest(f"video {task_id} is {view.state}; only completed or failed videos can be deleted")
        if not await context.engine.adelete(context.provider_id, task_id):  # deleted meanwhile, by another request
            raise TaskNotExist()
        return newapi.json_response(context, {"id": task_id, "object": "video.deleted", "deleted": True})

    async def content(self, request: Request) -> Response:
        context = self.context
        newapi.authenticate(request, context)
        variant = request.query_params.get("variant", "video")
        if variant not in VARIANTS:
            raise InvalidVariant()
        task_id = request.path_params["video_id"]
        view = await context.engine.apeek(task_id, context.provider_id)
        if view is None:
            raise TaskNotFound()
        mark_task(request, task_id)
        results = self._results(request, view)
        if results is None:
            raise VideoNotReady(view.state)
        if not results.video_url:
            raise ContentUnavailable("the task has no video URL")
        if results.available_from is not None and view.now < results.available_from:
            raise ContentUnavailable("upstream answered 404")
        remaining = results.expires_at - int(view.now)
        if remaining <= 0:
            raise ContentExpired(results.expires_at)
        rendered = await RENDERERS[VARIANTS[variant]].off_loop(video_spec(view))
        return deliver(request, rendered, remaining)

    def _results(self, request: Request, view: TaskView) -> views.Results | None:
        if not view.succeeded or view.finished_at is None:
            return None
        terms = scripting.result_terms(self.context, view, self.url_ttl)
        base = f"videos/{utc_day_path(finished_at(view))}/{view.task.id}"
        return views.Results(
            video_url=signed_result_url(request, self.context, view, f"{base}.mp4", self.url_ttl) or "",
            thumbnail_url=signed_result_url(request, self.context, view, f"{base}_thumbnail.webp", self.url_ttl) or "",
            expires_at=terms.expires,
            available_from=terms.available_from,
        )


class OctopusxProvider:
    id = "octopusx"
    contract = "octopusx"

    def build(self, context: ProviderContext) -> GatewayApp:
        api = OctopusxApi(context)
        routes = [
            Route("/v1/videos", api.create, methods=["POST"]),
            Route("/v1/videos", api.list, methods=["GET"]),
            Route("/v1/videos/{video_id}", api.retrieve, methods=["GET"]),
            Route("/v1/videos/{video_id}", api.delete, methods=["DELETE"]),
            Route("/v1/videos/{video_id}/content", api.content, methods=["GET", "HEAD"]),
            Route("/v1/video/create", api.create_unified, methods=["POST"]),
            Route("/v1/video/query", api.query_unified, methods=["GET"]),
        ]
        return GatewayApp(routes, exception_handlers=exception_handlers(NewApiShape(context)), cors=GIN_ALL_ORIGINS)
