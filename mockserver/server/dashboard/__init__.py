"""The dashboard under /__admin/ui: server-rendered pages (Jinja2) whose plain JavaScript reads and drives the mock
through the admin API only, polling it every REFRESH_SECONDS (or BUSY_FACTOR times what its last refresh cost
the mock, whichever is longer) while the page is visible. Templates and scripts are
package data; nothing is fetched from elsewhere, so it works offline."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles

from mockserver.server.runtime import MockRuntime

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

REFRESH_SECONDS = 2.0
"""How often an open page asks the admin API for what changed (never while the page is hidden)."""
BUSY_FACTOR = 100
"""An open page waits at least this many times as long as the mock worked on its last refresh (the admin API's
`Server-Timing`) before the next one: however many tasks the mock holds, a page takes at most about 1 % of its time."""
LIVE_ROWS = 200
"""Rows a live list shows at most (the newest): each refresh asks for no more."""
UI_PREFIX = "/__admin/ui"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src * data:; media-src *; connect-src *; "
    "frame-ancestors 'none'"
)
"""The pages' Content-Security-Policy: only the package's own script runs (whatever a journal body holds), and the
result files may come from the configured public URL."""
_HERE = Path(str(files(__package__)))


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """Loaded at the first page asked for: Jinja2 is imported then, not when the mock starts."""
    from starlette.templating import Jinja2Templates

    return Jinja2Templates(directory=_HERE / "templates")


def dashboard(runtime: MockRuntime, urls: dict[str, str]) -> Router:
    states = {pid: list(context.contract.lifecycle.states) for pid, context in runtime.contexts.items()}
    all_states = sorted({state for listed in states.values() for state in listed})

    def page(request: Request, name: str, **context: Any) -> Response:
        shared = {
            "page": name,
            "gateways": urls,
            "states": all_states,
            "scenarios": runtime.scenarios.names(),
            "refresh_ms": int(REFRESH_SECONDS * 1000),
            "busy_factor": BUSY_FACTOR,
            "live_rows": min(LIVE_ROWS, runtime.settings.admin_page_max),  # a page asks for no more than it may
        }
        response = templates().TemplateResponse(request, f"{name}.html", shared | context)
        response.headers["Content-Security-Policy"] = POLICY
        return response

    async def overview(request: Request) -> Response:
        return page(request, "overview")

    async def tasks(request: Request) -> Response:
        return page(request, "tasks")

    async def task(request: Request) -> Response:
        return page(request, "task", task_id=request.path_params["task_id"])

    async def journal(request: Request) -> Response:
        return page(request, "journal")

    async def scenarios(request: Request) -> Response:
        return page(request, "scenarios")

    routes = [
        Route("/", overview, methods=["GET"]),
        Route("/tasks", tasks, methods=["GET"]),
        Route("/tasks/{task_id}", task, methods=["GET"]),
        Route("/journal", journal, methods=["GET"]),
        Route("/scenarios", scenarios, methods=["GET"]),
        Mount("/static", StaticFiles(directory=_HERE / "static")),
    ]
    return Router(routes=routes)  # inside the admin app: its error handlers answer a path it does not have


def index_page(request: Request, urls: dict[str, str]) -> Response:
    """What `GET /` shows a browser: the gateways and a link to the dashboard."""
    return templates().TemplateResponse(request, "index.html", {"gateways": urls, "dashboard": UI_PREFIX + "/"})


def login_page() -> bytes:
    """What a browser gets for a dashboard page without the admin token: a form that sends it once."""
    return (_HERE / "static" / "login.html").read_bytes()


def wants_html(accept: str) -> bool:
    """A browser's navigation: it asks for text/html (an API client asks for JSON or anything)."""
    return "text/html" in accept


__all__ = [
    "BUSY_FACTOR",
    "LIVE_ROWS",
    "REFRESH_SECONDS",
    "UI_PREFIX",
    "dashboard",
    "index_page",
    "login_page",
    "wants_html",
]
