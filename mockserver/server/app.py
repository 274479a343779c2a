"""`create_app(settings)`: every provider under `/<id>/`, optionally one at the root, the media CDN under
`/__media/`, the admin API under `/__admin/`, all behind the request journal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.contracts.contract import load_contract
from mockserver.core.clock import MockClock, stopwatch
from mockserver.engine import Offload, run_here
from mockserver.gateways import ProviderContext, load_provider
from mockserver.gateways.kit.faults import (
    FAULT_REFUSED,
    HEADER_FAULT,
    FaultHeaderError,
    HeaderFault,
    refuse_plainly,
    unknown_error,
)
from mockserver.gateways.kit.http import JsonResponse
from mockserver.gateways.kit.routing import ANSWERED, GatewayApp
from mockserver.gateways.kit.scripting import ScriptedError
from mockserver.media.routes import MEDIA_PREFIX, media_routes
from mockserver.server.admin import ADMIN_PREFIX, build_admin
from mockserver.server.admin_guard import AdminGuard
from mockserver.server.dashboard import UI_PREFIX, index_page, wants_html
from mockserver.server.http_limits import client_gone
from mockserver.server.recorders import STARTED, AnswerRecorder, JournalMiddleware
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings


def create_app(settings: Settings | None = None, runtime: MockRuntime | None = None) -> MockApp:
    runtime = runtime or MockRuntime(settings or Settings())
    settings = runtime.settings
    gateways = {
        pid: TaggedGateway(context, load_provider(pid).build(context)) for pid, context in runtime.contexts.items()
    }
    base = f"http://{settings.host}:{settings.port}"
    urls = client_urls(base, runtime.contexts)

    async def index(request: Request) -> Response:
        if wants_html(request.headers.get("accept", "")):
            return index_page(request, urls)
        return JsonResponse({"gateways": urls, "admin": f"{base}{ADMIN_PREFIX}", "dashboard": f"{base}{UI_PREFIX}/"})

    async def not_found(request: Request, exc: Exception) -> Response:
        message = f"no route {request.url.path}: gateways are mounted at " + ", ".join(f"/{p}/" for p in gateways)
        return JsonResponse({"error": {"code": "not_found", "message": message}}, status_code=404)

    routes: list[BaseRoute] = [
        Mount(
            ADMIN_PREFIX,
            AdminGuard(
                build_admin(runtime, urls), ADMIN_PREFIX, settings.admin_token, any_host=settings.allow_open_admin
            ),
        ),
        *media_routes(runtime.signer, runtime.clock),
    ]
    routes += [Mount(f"/{pid}", app) for pid, app in gateways.items()]
    if settings.root_provider is not None:
        routes.append(Mount("", gateways[settings.root_provider]))
    else:
        routes.append(Route("/", index, methods=["GET"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        runtime.close()  # after the server has let in-flight requests finish

    app = MockApp(routes=routes, exception_handlers={404: not_found, ClientDisconnect: client_gone}, lifespan=lifespan)
    journaled = JournalMiddleware(
        partial(Starlette.__call__, app), journal=runtime.journal, now=runtime.clock.now, skip=(ADMIN_PREFIX,)
    )
    answered = AnswerRecorder(runtime.journal, now=runtime.clock.now)
    own_prefixes = (ADMIN_PREFIX + "/", MEDIA_PREFIX + "/") if settings.root_provider is not None else ("/",)
    front: ASGIApp = GatewayDispatch(
        journaled, gateways=gateways, router=app.router, answered=answered, own_prefixes=own_prefixes
    )
    if runtime.clock.shared:
        front = ClockPinMiddleware(
            front, clock=runtime.clock, offload=runtime.offload, read_first=(MEDIA_PREFIX + "/", ADMIN_PREFIX)
        )
    app.front = front
    app.state.runtime = runtime
    return app


def client_urls(base: str, providers: Iterable[str]) -> dict[str, str]:
    """The base URL a client of each gateway is given: its mount plus the contract's client base path (OctopusX's
    `/v1`, as the OpenAI SDK wants it). The start banner, the index and the admin API all show these."""
    return {pid: f"{base}/{pid}{load_contract(load_provider(pid).contract).client_base_path}" for pid in providers}


class MockApp(Starlette):
    """The Starlette app (admin, media, the index, the lifespan) behind the front layers every request meets
    first: the clock pin (a shared clock), the gateway dispatch and the journal. A gateway request is answered
    in full by its GatewayApp, so it skips Starlette's own error and exception middleware."""

    front: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        scope[STARTED] = stopwatch()
        await self.front(scope, receive, send)


class GatewayDispatch:
    """`/<provider>/...` straight to the provider's app, with the scope its Mount would give it, rather than
    through the outer router's routes one by one; anything else (admin, media, the root mount, unknown
    routes and their 404) goes on to `app` (the journal middleware, then the router).

    A gateway sends every answer whole through `routing.answer`, so its exchanges are journaled by `answered`, the
    scope's `ANSWERED` hook, with no wrapper around `send` or `receive`."""

    def __init__(
        self,
        app: ASGIApp,
        gateways: dict[str, TaggedGateway],
        router: Router,
        answered: Callable[[Scope, Response], Awaitable[Any] | None],
        own_prefixes: tuple[str, ...] = ("/",),
    ) -> None:
        self.app = app
        self.own_prefixes = own_prefixes
        """Paths the mock answers itself (not a gateway mounted at the root): those refuse a bad fault header in
        the mock's own format."""
        self.gateways = {pid: ("/" + pid, gateway) for pid, gateway in gateways.items()}
        self.router = router
        self.answered = answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            path: str = scope["path"]
            first, slash, _ = path[1:].partition("/")
            found = self.gateways.get(first) if slash else None
            if found is not None:  # any path below the mount, even one a Mount's pattern would refuse (a newline)
                mount, gateway = found
                if "router" not in scope:
                    scope["router"] = self.router
                if "app_root_path" not in scope:
                    scope["app_root_path"] = ""
                scope["root_path"] = mount
                scope["endpoint"] = gateway
                scope[ANSWERED] = self.answered
                await gateway(scope, receive, send)
                return
            refused = scope.get("state", {}).get(FAULT_REFUSED)
            if refused is not None and path.startswith(self.own_prefixes):
                await refuse_plainly(send, refused)
                return
        await self.app(scope, receive, send)


class ClockPinMiddleware:
    """A shared clock is read from the store at most once per request, not on every `now()`: with the first store
    command a gateway's request sends (which brings the clock's state along), or first of all for the paths in
    `read_first` (media and admin, which read the time before any store command), in the store's thread
    (`offload`), so the event loop does not wait for it."""

    def __init__(
        self, app: ASGIApp, clock: MockClock, offload: Offload = run_here, read_first: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.clock = clock
        self.offload = offload
        self.read_first = read_first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.clock.shared:
            await self.app(scope, receive, send)
            return
        with self.clock.pinned():
            if scope["path"].startswith(self.read_first):
                await self.offload(self.clock.now)  # pins the state it reads
            await self.app(scope, receive, send)


class TaggedGateway:
    """A provider's app, with each request marked with the provider that serves it (for the journal), and the
    `X-Mock-Fault` header answered in the gateway's own error format through its error pipeline
    (`GatewayApp.answer_error`): a status as a scripted error, a header the mock cannot read (or an error name the
    gateway does not have) as a malformed header, before anything reaches the gateway."""

    def __init__(self, context: ProviderContext, app: GatewayApp) -> None:
        self.context = context
        self.app = app
        self.provider_id = context.provider_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        state["provider"] = self.provider_id
        refused: FaultHeaderError | None = state.get(FAULT_REFUSED)
        fault: HeaderFault | None = state.get(HEADER_FAULT)
        contract = self.context.contract
        if refused is None and fault is not None and fault.error is not None and contract.error(fault.error) is None:
            refused = unknown_error(fault.error, self.provider_id, contract.errors)
        if refused is not None:
            await self.app.answer_error(scope, receive, send, refused)
        elif fault is None or fault.status is None:
            await self.app(scope, receive, send)
        else:
            entry = contract.error(fault.error) if fault.error else None
            error = ScriptedError(entry, fault.status, fault.retry_after, fault.error or "")
            await self.app.answer_error(scope, receive, send, error)


__all__ = ["create_app"]
