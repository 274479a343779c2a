"""`MockServer`: the mock inside a test suite, as a real server on a free port or in-process.

with MockServer(providers=["crazyrouter"], seed=1, clock="virtual") as mock:
    client = MyApp(base_url=mock.url_for("crazyrouter"), sleep=mock.clock.advance)
    ...
    mock.journal.assert_called("crazyrouter", "/jimeng/submit/videos", times=1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from mockserver.core.volc_v4 import KeyPair, default_key_pair
from mockserver.engine import TaskView
from mockserver.server.app import client_urls, create_app
from mockserver.server.journal import Journal
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from mockserver.testing.clock import TestClock, UnknownTask, unknown_task_message
from mockserver.testing.threaded import ServerThread, Swappable, bind

if TYPE_CHECKING:
    import httpx

Mode = Literal["thread", "asgi"]
ASGI_BASE_URL = "http://testserver"


class MockServer:
    """One mock: settings, runtime and (in "thread" mode) a uvicorn server in a background thread.

    `mode="thread"` (default) listens on `host`:`port` (port 0: a free one), so any client, in any library,
    reaches it over real HTTP. `mode="asgi"` starts no server: `async_client()` talks to the app in-process.
    Keyword arguments are settings (see `Settings`) over `settings` (default: `Settings(clock="virtual")`):
    `api_keys=["sk-ci"]`, `provider_options={"crazyrouter": {"url_ttl": 60}}`, `admin_token="t"` (then
    /__admin wants `admin_headers`), ...
    """

    def __init__(
        self,
        providers: Sequence[str] | str | None = None,
        seed: int | None = None,
        clock: str | None = None,
        *,
        scenario: str | None = None,
        time_scale: float | None = None,
        mode: Mode = "thread",
        host: str = "127.0.0.1",
        port: int = 0,
        settings: Settings | None = None,
        **options: Any,
    ) -> None:
        if mode not in ("thread", "asgi"):
            raise ValueError(f"mode must be 'thread' or 'asgi', not {mode!r}")
        given = {"providers": providers, "seed": seed, "clock": clock, "scenario": scenario, "time_scale": time_scale}
        overrides = {k: v for k, v in given.items() if v is not None} | options
        self.mode: Mode = mode
        self._host, self._port = host, port
        self._initial = (settings or Settings(clock="virtual")).with_overrides(**overrides)
        self._settings = self._initial
        self._runtime: MockRuntime | None = None
        self._app = Swappable(_not_started)
        self._thread: ServerThread | None = None
        self.clock = TestClock(lambda: self.runtime)
        """The mock's clock: `now()`, `advance(seconds)`, `set(when)`, `advance_until(task_id, state)`."""

    # lifecycle

    def start(self) -> MockServer:
        if self._runtime is not None:
            raise RuntimeError("the mock is already running")
        if self.mode == "thread":
            sock = bind(self._host, self._port)
            self._port = sock.getsockname()[1]
            self._initial = self._initial.with_overrides(host=self._host, port=self._port)
            self._build(replace(self._settings, host=self._host, port=self._port))
            self._thread = ServerThread(self._app, sock)
            try:
                self._thread.start()
            except BaseException:
                self._runtime = None
                raise
        else:
            self._build(self._settings)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        if self._runtime is not None:
            self._runtime.close()  # its callback sender and shared store: the server runs no lifespan to do it
        self._runtime = None
        self._app.app = _not_started

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _build(self, settings: Settings) -> None:
        runtime = MockRuntime(settings)
        self._app.app = create_app(runtime=runtime)
        replaced, self._runtime, self._settings = self._runtime, runtime, settings
        if replaced is not None:
            replaced.close()

    # state

    def reset(self) -> None:
        """Drop every task and journal entry, restart the random streams, put the clock back and restore the
        default scenario: the state the mock started in."""
        self.runtime.reset()
        self.runtime.scenarios.use(self._settings.scenario)

    def configure(self, **overrides: Any) -> MockServer:
        """Start afresh with these settings over the ones the mock was created with (none: back to those).
        The address stays the same; a change of scenario alone needs no new runtime."""
        wanted = self._initial.with_overrides(**overrides)
        if replace(wanted, scenario=self._settings.scenario) == self._settings:
            self._settings = wanted
            self.reset()
        else:
            self._build(wanted)
        return self

    def use_scenario(self, name: str) -> None:
        """Bind `name` (a scenario of the library, `jimeng-mock scenarios list`) to every task submitted from
        now on that selects no scenario of its own: the server default. `reset()` restores the configured one."""
        if not name or not name.strip():
            raise ValueError("a scenario needs a name")
        self.runtime.scenarios.use(name)

    @property
    def scenario(self) -> str:
        return self.runtime.scenarios.default

    @property
    def runtime(self) -> MockRuntime:
        if self._runtime is None:
            raise RuntimeError("the mock is not running: use `with MockServer(...) as mock:` or call mock.start()")
        return self._runtime

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def journal(self) -> Journal:
        """Every request and response: `entries(...)`, `calls(...)`, `assert_called(...)`."""
        return self.runtime.journal

    @property
    def tasks(self) -> list[TaskView]:
        """Live tasks, oldest first, read without counting a poll."""
        return list(self.runtime.engine.tasks())

    def task(self, task_id: str) -> TaskView:
        view = self.runtime.engine.peek(task_id)
        if view is None:
            raise UnknownTask(unknown_task_message(self.runtime, task_id))
        return view

    # addresses and clients

    @property
    def url(self) -> str:
        _ = self.runtime  # raises when the mock is not running
        return f"http://{self._host}:{self._port}" if self.mode == "thread" else ASGI_BASE_URL

    def url_for(self, provider: str) -> str:
        """The base URL a client of `provider` is pointed at, as the start banner gives it: e.g.
        http://127.0.0.1:51234/crazyrouter, and OctopusX's with the OpenAI SDK's /v1."""
        if provider not in self._settings.providers:
            mounted = ", ".join(self._settings.providers)
            raise ValueError(f"provider {provider!r} is not mounted on this mock (mounted: {mounted})")
        return client_urls(self.url, [provider])[provider]

    @property
    def volcengine_key_pair(self) -> KeyPair:
        """The key pair a Volcengine Visual client signs with: the first configured `AK|SK` of api_keys, else the
        default pair the mock's seed fixes (the one `jimeng-mock serve` prints)."""
        settings = self.runtime.settings
        keys = settings.for_provider("volcengine").api_keys or ()
        configured = sorted(pair for key in keys if (pair := KeyPair.parse(key)) is not None)
        return configured[0] if configured else default_key_pair(settings.seed)

    @property
    def admin_url(self) -> str:
        return f"{self.url}/__admin"

    @property
    def admin_headers(self) -> dict[str, str]:
        """What a request to `admin_url` carries: the admin token (setting `admin_token`), if one is set."""
        token = self._settings.admin_token
        return {} if token is None else {"Authorization": f"Bearer {token}"}

    @property
    def app(self) -> Swappable:
        """The ASGI app (it follows `configure`)."""
        return self._app

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the mock's address (thread mode)."""
        import httpx

        if self.mode != "thread":
            raise RuntimeError("client() talks over HTTP: use async_client() in asgi mode")
        return httpx.Client(base_url=self.url, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx async client: over HTTP in thread mode, over an ASGI transport (in-process) in asgi mode."""
        import httpx

        if self.mode == "asgi":
            kwargs.setdefault("transport", httpx.ASGITransport(app=self._app))
        return httpx.AsyncClient(base_url=self.url, **kwargs)

    def __repr__(self) -> str:
        where = self.url if self._runtime is not None else "not running"
        return f"MockServer({where}, providers={list(self._settings.providers)}, seed={self._settings.seed})"


async def _not_started(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("the mock is not running")
