"""Crazyrouter's HTTP surface: `POST /jimeng/submit/videos` and `GET /jimeng/fetch/{task_id}`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.engine import TaskView
from mockserver.gateways.crazyrouter.errors import InvalidRequest, NewApiShape
from mockserver.gateways.crazyrouter.models import InvalidVideoRequest, new_task_id, parse_submit, plan
from mockserver.gateways.families import newapi
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.cors import GIN_ALL_ORIGINS
from mockserver.gateways.kit.errors import exception_handlers
from mockserver.gateways.kit.http import mark_task
from mockserver.gateways.kit.results import finished_at, kept_json, signed_result_url
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.gateways.kit.stamps import utc_day_path


class CrazyrouterApi:
    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.submit_operation = context.contract.operation("submitVideo")
        self.url_ttl = context.lifetime("result_url", context.settings.url_ttl)
        self.task_ttl = context.lifetime("task", context.settings.task_ttl)

    async def submit(self, request: Request) -> Response:
        context = self.context
        selection, body = await newapi.read_submission(request, context, self.submit_operation)
        try:
            video = parse_submit(body, context.settings.max_image_pixels)
        except InvalidVideoRequest as exc:
            raise InvalidRequest(str(exc)) from None
        steps, outcome = plan(video, context.settings.timings)
        scripted = scripting.script(context, selection, steps, outcome)
        submission = scripted.submission(context, video.to_dict(), new_task_id, self.task_ttl)
        view = await scripting.submit(context, submission)
        mark_task(request, view.task.id)
        return newapi.json_response(
            context,
            {
                "id": view.task.id,
                "task_id": view.task.id,
                "object": "video",
                "model": video.model,
                "status": "",
                "progress": 0,
                "created_at": int(view.task.created_at),
            },
        )

    async def fetch(self, request: Request) -> Response:
        context = self.context
        view = await newapi.polled_task(request, context, request.path_params["task_id"])
        scripting.raise_poll_fault(request, context, view)
        if view.terminal:
            return newapi.json_response(
                context, kept_json(request, context, view, "answer", lambda: self._answer(request, view))
            )
        return newapi.json_response(context, self._answer(request, view))

    def _answer(self, request: Request, view: TaskView) -> dict[str, Any]:
        data: dict[str, Any] = {
            "error": None,
            "format": "mp4",
            "metadata": None,
            "status": view.state,
            "task_id": view.task.id,
            "url": "",
        }
        if view.succeeded:
            data["url"] = self._url(request, view)
        elif view.terminal:
            data["error"] = dict(view.task.schedule.outcome.error or {})
        return {"code": "success", "message": "", "data": data}

    def _url(self, request: Request, view: TaskView) -> str:
        path = f"task-artifacts/{utc_day_path(finished_at(view))}/generate/{view.task.id}.mp4"
        return signed_result_url(request, self.context, view, path, self.url_ttl) or ""


class CrazyrouterProvider:
    id = "crazyrouter"
    contract = "crazyrouter"

    def build(self, context: ProviderContext) -> GatewayApp:
        api = CrazyrouterApi(context)
        routes = [
            Route("/jimeng/submit/videos", api.submit, methods=["POST"]),
            Route("/jimeng/fetch/{task_id}", api.fetch, methods=["GET"]),
        ]
        return GatewayApp(routes, exception_handlers=exception_handlers(NewApiShape(context)), cors=GIN_ALL_ORIGINS)
