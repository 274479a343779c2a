"""`GET /v1/tasks/{id}` and `GET /v1/tasks/{id}/result` (reference A.5); both are polls the task's scenario
may answer with a scripted fault. Neither validates the Authorization header first: without one the answer is
the API key's 401, not the 400 of the generation routes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.engine import TaskView
from mockserver.gateways.jimeng2api.gateway import Address, Gateway
from mockserver.gateways.jimeng2api.routes.headers import credential
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.http import JsonResponse, public_base
from mockserver.gateways.kit.results import kept_json


class TaskRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def get(self, request: Request) -> Response:
        caller = self.gateway.authenticate(credential(request))
        view = await self.gateway.find(caller, request.path_params["task_id"])
        scripting.raise_poll_fault(request, self.gateway.context, view)
        return self._answer(request, view, "task", lambda: self.gateway.task_object(view, self._address(request)))

    async def result(self, request: Request) -> Response:
        """The result once succeeded; before that (and after a failure) the task object itself, still 200."""
        caller = self.gateway.authenticate(credential(request))
        view = await self.gateway.find(caller, request.path_params["task_id"])
        scripting.raise_poll_fault(request, self.gateway.context, view)
        if view.succeeded:
            return self._answer(request, view, "result", lambda: self.gateway.result(view, self._address(request)))
        return self._answer(request, view, "task", lambda: self.gateway.task_object(view, self._address(request)))

    def _address(self, request: Request) -> Address:
        """The address result URLs are signed for (the one the client called, or the configured public URL),
        read from the request when a URL is signed."""
        return partial(public_base, request, self.gateway.context.settings.public_url)

    def _answer(self, request: Request, view: TaskView, name: str, build: Callable[[], Any]) -> Response:
        """A finished task's answer is kept with it, unless it inlines its media as base64."""
        if view.terminal and not self.gateway.inlines_media(view):
            return JsonResponse(kept_json(request, self.gateway.context, view, name, build))
        return JsonResponse(build())
