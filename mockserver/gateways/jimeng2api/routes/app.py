"""jimeng2api's HTTP surface (reference A.2): service info, ping, models, generation, tasks, the legacy token
routes and the admin API, all answering errors in the server's OpenAI-style body."""

from __future__ import annotations

from typing import ClassVar

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mockserver.gateways.jimeng2api.errors import Jimeng2ApiShape
from mockserver.gateways.jimeng2api.gateway import Gateway
from mockserver.gateways.jimeng2api.models.catalog import public_models
from mockserver.gateways.jimeng2api.routes.admin import AdminRoutes
from mockserver.gateways.jimeng2api.routes.generate import GenerationRoutes
from mockserver.gateways.jimeng2api.routes.tasks import TaskRoutes
from mockserver.gateways.jimeng2api.routes.tokens import TokenRoutes
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.cors import KOA2_CORS
from mockserver.gateways.kit.errors import exception_handlers
from mockserver.gateways.kit.http import JsonResponse
from mockserver.gateways.kit.routing import GatewayApp

SERVICE = {
    "service": "jimeng2api",
    "status": "running",
    "version": "1.0.0",
    "description": "将即梦AI网页版转换成API服务",
    "endpoints": {
        "images": "/v1/images/generations",
        "compositions": "/v1/images/compositions",
        "videos": "/v1/videos/generations",
        "tasks": "/v1/tasks/{id}",
        "models": "/v1/models",
        "health": "/ping",
    },
}


async def index(request: Request) -> Response:
    return JsonResponse(SERVICE)


async def ping(request: Request) -> Response:
    return PlainTextResponse("pong")


async def models(request: Request) -> Response:
    return JsonResponse({"data": public_models()})


class Jimeng2ApiProvider:
    id = "jimeng2api"
    contract = "jimeng2api"
    options: ClassVar[dict[str, tuple[object, ...]]] = {"admin_key": (str,), "admin_auth_disabled": (True, False)}
    """`admin_key`: the key the admin API requires (the server's ADMIN_API_KEY); unset, any non-empty key passes.
    `admin_auth_disabled`: the server's ADMIN_AUTH_DISABLED, no key needed (and `/admin/api/config` says so)."""

    def build(self, context: ProviderContext) -> GatewayApp:
        gateway = Gateway(context)
        generate, tasks = GenerationRoutes(gateway), TaskRoutes(gateway)
        tokens, admin = TokenRoutes(gateway), AdminRoutes(gateway)
        routes = [
            Route("/", index, methods=["GET"]),
            Route("/ping", ping, methods=["GET"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/videos/generations", generate.videos, methods=["POST"]),
            Route("/v1/images/generations", generate.images, methods=["POST"]),
            Route("/v1/images/compositions", generate.compositions, methods=["POST"]),
            Route("/v1/tasks/{task_id}", tasks.get, methods=["GET"]),
            Route("/v1/tasks/{task_id}/result", tasks.result, methods=["GET"]),
            Route("/token/check", tokens.check, methods=["POST"]),
            Route("/token/points", tokens.points, methods=["POST"]),
            Route("/token/receive", tokens.receive, methods=["POST"]),
            Route("/admin/api/config", admin.config, methods=["GET"]),
            Route("/admin/api/api-keys", admin.list_keys, methods=["GET"]),
            Route("/admin/api/api-keys", admin.create_key, methods=["POST"]),
            Route("/admin/api/api-keys/{item_id}", admin.delete_key, methods=["DELETE"]),
            Route("/admin/api/tokens", admin.list_tokens, methods=["GET"]),
            Route("/admin/api/tokens", admin.create_token, methods=["POST"]),
            Route("/admin/api/tokens/{item_id}", admin.update_token, methods=["PUT"]),
            Route("/admin/api/tokens/{item_id}", admin.delete_token, methods=["DELETE"]),
            Route("/admin/api/tasks", admin.list_tasks, methods=["GET"]),
            Route("/admin/api/alerts", admin.list_alerts, methods=["GET"]),
        ]
        return GatewayApp(routes, exception_handlers=exception_handlers(Jimeng2ApiShape()), cors=KOA2_CORS)
