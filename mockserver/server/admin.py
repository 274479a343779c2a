"""The mock's own control surface under /__admin/: reset, clock, tasks, journal (see contracts/admin.yaml)."""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.cassettes import redact_body, redact_headers, redact_query
from mockserver.contracts.contract import contracts_dir
from mockserver.core.clock import ClockError, stopwatch
from mockserver.engine import TaskView
from mockserver.gateways.kit.http import BodyTooLarge, JsonResponse, MalformedJson, parse_json, read_body
from mockserver.scenarios import ScenarioFileError, UnknownScenario, parse
from mockserver.server.admin_guard import ADMIN_COOKIE
from mockserver.server.dashboard import dashboard
from mockserver.server.http_limits import client_gone
from mockserver.server.journal import STATUS_FILTER, JournalEntry, unmatched
from mockserver.server.runtime import MockRuntime
from mockserver.server.timeline import timeline

ADMIN_PREFIX = "/__admin"
_BODY_LIMIT = 64 * 1024
_COUNT_DIGITS = 9
"""Digits a `limit` or `offset` may have: more is refused before it is read as a number."""
SCENARIO_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
"""What a scenario added through the API may be called: a name a client can send in `X-Mock-Scenario` and a page
can show (no control characters, no markup, not unbounded)."""
PAST_BOUNDARY = 0.001
"""How far past a step's end `clock/next` moves the clock, so float rounding never leaves the task short of it."""
Item = TypeVar("Item")


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details
        """Fields beside code and message (a scenario's `line`)."""


def build_admin(runtime: MockRuntime, urls: dict[str, str]) -> Starlette:
    clock, engine, journal = runtime.clock, runtime.engine, runtime.journal
    max_scenario_bytes = runtime.settings.max_scenario_bytes
    page_max = runtime.settings.admin_page_max

    def counts_by_state() -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {provider: {} for provider in urls}
        for view in engine.tasks():
            by_state = counts.setdefault(view.task.provider, {})
            by_state[view.state] = by_state.get(view.state, 0) + 1
        return counts

    async def index(request: Request) -> Response:
        # every stored task is read: off the event loop, which goes on serving the gateways meanwhile
        counts = await run_in_threadpool(counts_by_state)
        return JsonResponse(
            {
                "providers": urls,
                "clock": clock.describe(),
                "tasks": sum(sum(by_state.values()) for by_state in counts.values()),  # the same read as the counts
                "counts": counts,
                "default_scenario": runtime.scenarios.default,
                "dashboard": f"{ADMIN_PREFIX}/ui",
                "openapi": f"{ADMIN_PREFIX}/openapi.yaml",
            }
        )

    async def session(request: Request) -> Response:
        """Only a request that carried the token gets here (the guard): the same token, as the cookie a browser
        sends with every later call."""
        await _body(request)
        response = JsonResponse({"session": True})
        token = runtime.settings.admin_token
        if token is not None:
            response.set_cookie(ADMIN_COOKIE, token, path=ADMIN_PREFIX, httponly=True, samesite="strict")
        return response

    async def reset(request: Request) -> Response:
        runtime.reset()
        return JsonResponse({"reset": True, "clock": clock.describe()})

    async def get_clock(request: Request) -> Response:
        return JsonResponse(clock.describe())

    async def advance(request: Request) -> Response:
        seconds = await _number(request, "seconds")
        await run_in_threadpool(clock.advance, seconds)  # it sends the callbacks that fall due: off the event loop
        return JsonResponse(clock.describe())

    async def next_change(request: Request) -> Response:
        await _body(request)
        found = await run_in_threadpool(engine.next_change)  # every live task is read, as for the overview
        if found is None:
            raise AdminError(409, "no_change_ahead", "no live task changes state on the clock alone")
        when, view = found
        await run_in_threadpool(clock.advance, max(when - clock.now(), 0.0) + PAST_BOUNDARY)  # as `advance`
        moved = engine.peek(view.task.id)
        state = view.state if moved is None else moved.state
        return JsonResponse({"clock": clock.describe(), "task": view.task.id, "from": view.state, "to": state})

    async def set_clock(request: Request) -> Response:
        when = await _number(request, "now")
        await run_in_threadpool(clock.set, when)
        return JsonResponse(clock.describe())

    async def freeze(request: Request) -> Response:
        clock.freeze()
        return JsonResponse(clock.describe())

    async def scale(request: Request) -> Response:
        clock.run(await _number(request, "scale"))
        return JsonResponse(clock.describe())

    async def list_tasks(request: Request) -> Response:
        provider = request.query_params.get("provider")
        state = request.query_params.get("state")
        scenario = request.query_params.get("scenario")
        limit, offset = _page(request, page_max)

        def listed() -> tuple[Sequence[TaskView], int]:
            views = (
                v
                for v in engine.tasks(provider)
                if (state is None or v.state == state) and (scenario is None or v.task.scenario == scenario)
            )
            return _newest(views, limit, offset)

        page, total = await run_in_threadpool(listed)  # as for the overview
        return JsonResponse({"tasks": [v.to_dict() for v in page], "total": total})

    async def get_task(request: Request) -> Response:
        view = engine.peek(request.path_params["task_id"])
        if view is None:
            raise AdminError(404, "task_not_found", f"no task {request.path_params['task_id']!r}")
        return JsonResponse(view.to_dict())

    async def get_timeline(request: Request) -> Response:
        view = engine.peek(request.path_params["task_id"])
        if view is None:
            raise AdminError(404, "task_not_found", f"no task {request.path_params['task_id']!r}")
        return JsonResponse(timeline(runtime, view))

    async def get_journal(request: Request) -> Response:
        if request.method == "DELETE":
            journal.clear()
            return JsonResponse({"entries": []})
        limit, offset = _page(request, page_max)
        page, total = _newest(journal.entries(**_journal_filters(request)), limit, offset)
        return JsonResponse({"entries": [_redacted(e) for e in page], "total": total})

    async def get_entry(request: Request) -> Response:
        seq = _count(request.path_params["seq"], "seq")
        entry = journal.entry(seq)
        if entry is None:
            raise AdminError(404, "entry_not_found", f"the journal no longer holds entry {seq}")
        nearest = await run_in_threadpool(journal.nearest, entry) if unmatched(entry) else []
        return JsonResponse(_redacted(entry) | {"nearest": nearest})

    async def scenarios(request: Request) -> Response:
        if request.method == "POST":
            return await add_scenario(request)
        scenarios = runtime.scenarios
        return JsonResponse({"default": scenarios.default, "scenarios": [s.describe() for s in scenarios.all()]})

    async def get_scenario(request: Request) -> Response:
        try:
            scenario = runtime.scenarios.get(request.path_params["name"])
            return JsonResponse(scenario.describe() | {"yaml": scenario.text})
        except UnknownScenario as exc:
            raise AdminError(404, "scenario_not_found", exc.message) from None

    async def use_scenario(request: Request) -> Response:
        name = await _field(request, "name", str)
        try:
            runtime.scenarios.use(name)
        except UnknownScenario as exc:
            raise AdminError(400, "scenario_not_found", exc.message) from None
        return JsonResponse({"default": name})

    async def add_scenario(request: Request) -> Response:
        body = await _body(request, limit=_BODY_LIMIT + 4 * max_scenario_bytes)  # room for JSON's escapes
        name, text = body.get("name"), body.get("yaml")
        if not isinstance(name, str) or not name or not isinstance(text, str):
            raise AdminError(400, "bad_request", 'send {"name": <scenario name>, "yaml": <scenario document>}')
        if not SCENARIO_NAME.fullmatch(name):
            raise AdminError(400, "bad_request", "a scenario's name is 1 to 100 letters, digits, _ . : or -")
        try:  # in a worker thread: the server answers other requests while a document is checked
            scenario = await run_in_threadpool(parse, text, name, "admin API", max_scenario_bytes)
        except ScenarioFileError as exc:
            raise AdminError(400, "bad_scenario", f"line {exc.line}: {exc.reason}", line=exc.line) from None
        runtime.scenarios.register(scenario)
        return JsonResponse(scenario.describe(), status_code=201)

    async def cassette(request: Request) -> Response:
        entries = journal.entries(**_journal_filters(request))
        return Response(runtime.cassette(entries).to_json(), media_type="application/json")

    async def openapi(request: Request) -> Response:
        return Response((contracts_dir() / "admin.yaml").read_bytes(), media_type="application/yaml")

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/session", session, methods=["POST"]),
        Route("/clock", get_clock, methods=["GET"]),
        Route("/clock/advance", advance, methods=["POST"]),
        Route("/clock/next", next_change, methods=["POST"]),
        Route("/clock/set", set_clock, methods=["POST"]),
        Route("/clock/freeze", freeze, methods=["POST"]),
        Route("/clock/scale", scale, methods=["POST"]),
        Route("/tasks", list_tasks, methods=["GET"]),
        Route("/tasks/{task_id}", get_task, methods=["GET"]),
        Route("/tasks/{task_id}/timeline", get_timeline, methods=["GET"]),
        Route("/journal", get_journal, methods=["GET", "DELETE"]),  # one route a path: a 405 lists every method
        Route("/journal/{seq}", get_entry, methods=["GET"]),
        Route("/scenarios", scenarios, methods=["GET", "POST"]),
        Route("/scenarios/default", use_scenario, methods=["POST"]),
        Route("/scenarios/{name}", get_scenario, methods=["GET"]),
        Route("/cassette", cassette, methods=["GET"]),
        Route("/openapi.yaml", openapi, methods=["GET"]),
        Mount("/ui", dashboard(runtime, urls)),
    ]
    admin = Starlette(routes=routes, exception_handlers=_handlers(), middleware=[Middleware(ServerTiming)])
    admin.state.max_json_depth = runtime.settings.max_json_depth
    return admin


class ServerTiming:
    """`Server-Timing: app;dur=<ms>` on every admin answer: how long the mock worked on it. The dashboard waits in
    proportion to it between refreshes (the browser's own round trip would count its overhead too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        elapsed = stopwatch()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={elapsed() * 1000:.2f}".encode()
                message["headers"] = [*message.get("headers", ()), (b"server-timing", took)]
            await send(message)

        await self.app(scope, receive, timed)


async def _body(request: Request, limit: int = _BODY_LIMIT) -> dict[str, Any]:
    """The JSON object the request carries; an empty body is `{}`, as the 415 for a missing content type says, so
    `curl -X POST -H 'Content-Type: application/json'` drives the routes that take no fields."""
    try:
        raw = await read_body(request, limit)
        body = parse_json(raw, request.app.state.max_json_depth) if raw.strip() else {}
    except (MalformedJson, BodyTooLarge) as exc:
        raise AdminError(400, "bad_request", str(exc)) from None
    if not isinstance(body, dict):
        raise AdminError(400, "bad_request", "send a JSON object")
    return body


async def _number(request: Request, name: str) -> float:
    value = (await _body(request)).get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdminError(400, "bad_request", f'send {{"{name}": <number>}}')
    return float(value)


async def _field(request: Request, name: str, kind: type[str]) -> str:
    value = (await _body(request)).get(name)
    if not isinstance(value, kind) or not value:
        raise AdminError(400, "bad_request", f'send {{"{name}": <{kind.__name__}>}}')
    return value


def _page(request: Request, page_max: int) -> tuple[int, int]:
    """`limit` (1 to `page_max`, default `page_max`) and `offset` (how many of the newest to skip, default 0)."""
    limit = _count(request.query_params.get("limit", str(page_max)), "limit")
    if not 1 <= limit <= page_max:
        raise AdminError(400, "bad_request", f"limit must be an integer from 1 to {page_max} (admin_page_max)")
    return limit, _count(request.query_params.get("offset", "0"), "offset")


def _journal_filters(request: Request) -> dict[str, Any]:
    """The journal's filters from the query (the journal listing and the cassette export take the same)."""
    q = request.query_params
    status = q.get("status") or None
    if status is not None and not STATUS_FILTER.fullmatch(status):
        raise AdminError(400, "bad_request", "status must be a status (404), a class (4xx) or unmatched")
    return {
        "provider": q.get("provider") or None,
        "path": q.get("path") or None,
        "task": q.get("task") or None,
        "method": q.get("method") or None,
        "status": status,
        "search": q.get("q") or None,
        "after": _count(q.get("after", "0"), "after"),
    }


def _count(raw: str, name: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= _COUNT_DIGITS):
        raise AdminError(400, "bad_request", f"{name} must be a whole number of at most {_COUNT_DIGITS} digits")
    return int(raw)


def _newest(items: Iterable[Item], limit: int, offset: int) -> tuple[Sequence[Item], int]:
    """The newest `limit` items after the newest `offset` (oldest first), and how many there were, holding no more
    than `limit + offset` of them at once."""
    kept: deque[Item] = deque(maxlen=limit + offset)
    total = 0
    for item in items:
        kept.append(item)
        total += 1
    return list(kept)[: max(0, len(kept) - offset)], total


def _redacted(entry: JournalEntry) -> dict[str, Any]:
    """An entry as the admin API shows it: credentials masked as in an exported cassette."""
    shown = entry.to_dict()
    shown["query"] = redact_query(entry.query)
    shown["request_headers"] = redact_headers(entry.request_headers.items())
    shown["response_headers"] = redact_headers(entry.response_headers.items())
    shown["request_body"] = redact_body(entry.request_body.encode()).decode("utf-8", "replace")
    shown["response_body"] = redact_body(entry.response_body.encode()).decode("utf-8", "replace")
    shown["unmatched"] = unmatched(entry)
    return shown


def _handlers() -> dict[Any, Any]:
    def error(status: int, code: str, message: str) -> Response:
        return JsonResponse({"error": {"code": code, "message": message}}, status_code=status)

    async def on_admin(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdminError)
        body = {"error": {"code": exc.code, "message": exc.message, **exc.details}}
        return JsonResponse(body, status_code=exc.status)

    async def on_clock(request: Request, exc: Exception) -> Response:
        return error(400, "bad_clock_change", str(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            response = error(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")
            response.headers.update(exc.headers or {})  # Allow
            return response
        return error(
            exc.status_code, "not_found", f"no admin route {request.url.path}; see {ADMIN_PREFIX}/openapi.yaml"
        )

    return {AdminError: on_admin, ClockError: on_clock, HTTPException: on_http, ClientDisconnect: client_gone}
