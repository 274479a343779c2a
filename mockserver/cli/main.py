"""`jimeng-mock`: the command line. Heavy modules are imported only by the command that needs them."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from mockserver.core.volc_v4 import KeyPair, default_key_pair
from mockserver.gateways import PROVIDER_IDS
from mockserver.gateways.volcengine.signing import accepted_pairs

ENV_HELP = (
    "Every flag but --replay and --access-log can also be set as JIMENG_MOCK_<FLAG> (e.g. JIMENG_MOCK_PORT=9000) or "
    "in the --config file. Settings with no flag, set only there (README, Configuration and Security): journal_size, "
    "max_body_bytes, max_json_depth, max_image_pixels, max_scenario_bytes, max_prompt_chars, max_tasks, max_accounts, "
    "fault_hang_limit, admin_page_max, clock_earliest, clock_latest, clock_min_scale, clock_max_scale, "
    "http_max_header_bytes, http_header_timeout, http_body_timeout, http_keep_alive, http_max_concurrency, "
    "callback_hosts, callback_timeout, callback_interval, scenario_paths; in the config file only: providers (each "
    "gateway's options) and scenario_keys."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jimeng-mock",
        description="Offline simulator of the Jimeng / Seedance "
        "video gateways, with a virtual clock and scripted task lifecycles.",
    )
    parser.add_argument("--version", action="version", version=f"jimeng-mock {installed_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="start the mock server",
        description="Start the mock server. Every gateway is served under /<provider>/, the admin API under /__admin/.",
        epilog=ENV_HELP,
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000; 0: a free port, shown at start)")
    serve.add_argument(
        "--provider",
        choices=PROVIDER_IDS,
        help="also serve this gateway at the root, for clients "
        "with a fixed path layout (it stays under /<provider>/ as well)",
    )
    serve.add_argument(
        "--providers", help=f"comma-separated gateways to mount (default: all: {','.join(PROVIDER_IDS)})"
    )
    serve.add_argument(
        "--seed",
        type=int,
        help="seed of the one random source: the same seed and the same requests "
        "give the same responses, task ids included (default 0)",
    )
    serve.add_argument(
        "--clock",
        choices=("system", "virtual"),
        help="system: time flows (scaled by --time-scale); "
        "virtual: time stands still until advanced through /__admin/clock (default system)",
    )
    serve.add_argument(
        "--time-scale",
        type=float,
        dest="time_scale",
        help="multiply every task duration by this: 0.05 makes a 60 s generation take 3 s (default 1)",
    )
    serve.add_argument(
        "--start-time",
        type=float,
        dest="start_time",
        help="unix time the clock starts at (default: now for system, 2026-01-01T00:00:00Z for virtual)",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_key",
        help="accept only this bearer key (repeatable); without it any non-empty key is accepted",
    )
    serve.add_argument(
        "--public-url",
        dest="public_url",
        help="base of result URLs when clients reach the mock "
        "through another address (default: the address the client called)",
    )
    serve.add_argument(
        "--config",
        help="YAML file with any of these settings plus per-provider options (url_ttl, task_ttl, timings, api_keys)",
    )
    serve.add_argument("--scenario", help="scenario of tasks that name none (default: default); see `scenarios list`")
    serve.add_argument(
        "--replay",
        type=Path,
        help="serve this cassette's recorded answers first; requests it does not hold go to the mock",
    )
    serve.add_argument(
        "--store",
        help="where tasks, the clock and the journal live: memory (default; one process), sqlite:///path.db "
        "(survives restarts, shared by the workers of one machine) or redis://host:port/db (shared by machines)",
    )
    serve.add_argument("--workers", type=int, help="worker processes (default 1); more than one needs --store")
    serve.add_argument(
        "--store-threads",
        dest="store_threads",
        type=int,
        help="Redis store: threads per process for the calls not pipelined (listings, deletes; default 8)",
    )
    serve.add_argument(
        "--admin-token",
        dest="admin_token",
        help="require this token on /__admin (as `Authorization: Bearer <token>` or the cookie "
        "jimeng_mock_admin_token); needed to serve on an address other than loopback",
    )
    serve.add_argument(
        "--allow-open-admin",
        dest="allow_open_admin",
        action="store_true",
        default=None,
        help="serve on an address other than loopback without --admin-token: anyone who reaches it drives the mock",
    )
    serve.add_argument(
        "--media-secret",
        dest="media_secret",
        help="key that signs result URLs (default: random at each start, shared through --store)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request (off by default: it costs speed)")
    scenarios = commands.add_parser(
        "scenarios",
        help="list or show the scenario library",
        description="The scenarios a task can be bound to at submit: by the "
        "X-Mock-Scenario header, a [[mock:NAME]] tag in the prompt, the API key "
        "(config `scenario_keys`) or the server default (--scenario).",
    )
    scenarios.add_argument("--config", help="a serve config file whose scenario_paths add scenarios to the library")
    add_verify(commands)
    scenario_commands = scenarios.add_subparsers(dest="action", required=True)
    scenario_commands.add_parser("list", help="one line per scenario")
    show = scenario_commands.add_parser("show", help="a scenario's file")
    show.add_argument("name", help="the scenario's name, as `scenarios list` gives it")
    from mockserver.cli.cassettes import add_commands

    add_commands(commands)
    return parser


def add_verify(commands: Any) -> None:
    verify = commands.add_parser(
        "verify",
        help="check a gateway (a real one, or the mock) against its contract",
        description="Run the contract suite against a gateway: free checks (auth and validation rejections, "
        "unknown task ids, model lists, error bodies) and, within --budget, paid tasks polled to their end "
        "with their result downloaded and decoded. Without --base-url it checks the mock in-process.",
    )
    verify.add_argument("--provider", required=True, choices=PROVIDER_IDS, help="which contract to check against")
    verify.add_argument("--base-url", dest="base_url", help="the gateway's base URL (default: the mock, in-process)")
    verify.add_argument(
        "--api-key",
        dest="api_key",
        default="",
        help="bearer key, redacted from every output (prefer the environment variable: a flag shows in `ps`)",
    )
    verify.add_argument(
        "--api-key-env",
        dest="api_key_env",
        default="JIMENG_MOCK_VERIFY_API_KEY",
        help="the environment variable holding the key when --api-key is not given (default %(default)s)",
    )
    verify.add_argument(
        "--budget",
        type=int,
        default=0,
        help="most requests that could create a paid task to send: every one carrying the key that is not a GET "
        "(the keyed validation probes too); only probes without a key are free (default 0)",
    )
    verify.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="the whole run's time limit in seconds, as the gateway sees time: wall seconds, plus the virtual "
        "seconds it moves a mock's virtual clock by (default 900)",
    )
    verify.add_argument("--junit", help="write a JUnit XML report here")
    verify.add_argument("--json", help="write a JSON report here")
    verify.add_argument(
        "--mock-admin",
        dest="mock_admin",
        help="the target is a jimeng-mock on a virtual clock: advance it through this /__admin URL instead of waiting "
        "(found by itself at the base URL's server when its /__admin/clock answers)",
    )
    verify.add_argument(
        "--mock-admin-token",
        dest="mock_admin_token",
        help="that mock's admin token (default: JIMENG_MOCK_ADMIN_TOKEN)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(vars(args))
    if args.command in ("replay", "record"):
        import mockserver.cli.cassettes as cassette_commands

        return int(getattr(cassette_commands, args.command)(args))
    if args.command == "verify":
        from mockserver.conformance.verify import verify

        return verify(vars(args))
    if args.command == "scenarios":
        return scenarios(args.action, getattr(args, "name", None), args.config)
    return 2


def installed_version() -> str:
    """The installed distribution's version (a wheel's, or an editable install's)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jimeng-mock")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def scenarios(action: str, name: str | None, config: str | None = None) -> int:
    from mockserver.scenarios import ScenarioFileError, ScenarioLibrary, UnknownScenario
    from mockserver.server.settings import Settings, SettingsError

    try:
        paths = Settings.load({"config": config}).scenario_paths
        library = ScenarioLibrary.load([Path(p) for p in paths])
    except (SettingsError, ScenarioFileError) as exc:
        print(f"jimeng-mock: {exc}", file=sys.stderr)
        return 2
    if action == "list":
        width = max(len(n) for n in library.names())
        for scenario in library.all():
            print(f"{scenario.name:<{width}}  {scenario.description}")
        return 0
    try:
        scenario = library.get(name or "")
    except UnknownScenario as exc:
        print(f"jimeng-mock: {exc.message}", file=sys.stderr)
        return 2
    print(f"# {scenario.name} ({scenario.source})")
    if scenario.source.endswith(".yaml"):
        print(Path(scenario.source).read_text(encoding="utf-8"), end="")
    else:
        print(f"description: {scenario.description}")
    return 0


SERVE_FLAGS_ENV = "JIMENG_MOCK_SERVE_FLAGS"
"""How `serve --workers N` hands its flags to the worker processes, which build their own app."""
GRACEFUL_SHUTDOWN_SECONDS = 10


def serve(args: dict[str, Any]) -> int:
    from mockserver.cassettes import Cassette, CassetteError
    from mockserver.cli.serving import ListenError, bind, run_server
    from mockserver.server.settings import Settings, SettingsError
    from mockserver.stores import StoreError, open_store

    flags = {k: v for k, v in args.items() if k not in ("command", "access_log", "replay")}
    replay = str(args["replay"]) if args.get("replay") is not None else None
    listener = None
    try:
        settings = Settings.load(flags)
        store = open_store(settings.store)  # fail here, once, rather than in every worker
        if store is not None:
            store.close()
        if replay is not None:
            Cassette.load(Path(replay))
        listener = bind(settings.host, settings.port, workers=settings.workers)
        flags["port"] = listener.getsockname()[1]  # --port 0 asks for a free port: the workers and URLs get it
        settings = settings.with_overrides(port=flags["port"])
        if settings.workers == 1:
            app = worker_app(settings, replay)
        else:
            app = None
            check_worker_app(settings)
    except (SettingsError, StoreError, CassetteError, ListenError) as exc:
        if listener is not None:
            listener.close()
        print(f"jimeng-mock: {exc}", file=sys.stderr)
        return 2
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "access_log": args["access_log"],
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
    if app is None:
        os.environ[SERVE_FLAGS_ENV] = json.dumps({"flags": flags, "replay": replay})
        options.update(factory=True, workers=settings.workers)
    announce = partial(print, banner(settings), flush=True)
    try:
        return run_server(app or "mockserver.cli.main:worker_app", settings, options, listener, announce)
    except ListenError as exc:
        print(f"jimeng-mock: {exc}", file=sys.stderr)
        return 2


def check_worker_app(settings: Any) -> None:
    """With --workers, each worker builds its own app: build one here first, so a missing contract or a bad
    scenario file stops the start with one message rather than every worker with a traceback."""
    from mockserver.server.runtime import MockRuntime

    MockRuntime(settings.with_overrides(store="memory", workers=1)).close()


def worker_app(settings: Any = None, replay: str | None = None) -> Any:
    """The app one worker serves: the gateways (behind a cassette's recorded answers, with --replay) behind the
    fault middleware. Also the uvicorn factory of each worker process."""
    from mockserver.gateways.kit.faults import FaultMiddleware
    from mockserver.server.app import create_app
    from mockserver.server.settings import Settings

    if settings is None:
        handed = json.loads(os.environ[SERVE_FLAGS_ENV])
        settings, replay = Settings.load(handed["flags"]), handed["replay"]
    app = create_app(settings)
    served: Any = app
    if replay is not None:
        from mockserver.cassettes import Cassette, Replayer

        served = Replayer(Cassette.load(Path(replay)), fallback=app)
    settle_heap()
    runtime = app.state.runtime
    return FaultMiddleware(served, runtime.randomness, hang_limit=runtime.settings.fault_hang_limit)


def settle_heap() -> None:
    """Everything built at start (modules, contracts, compiled schemas) lives as long as the process, so it is
    frozen out of the garbage collector's reach; from then on, so is what survives each collection. What survives
    is almost all stored tasks, which hold no reference cycles (they are freed by reference counting when they
    expire or are deleted, frozen or not): left to the older generations, every one of their collections would walk
    each stored task again, a pause that grows with the store (PERFORMANCE.md has the figures). The price:
    a cycle still alive at a collection is never collected once it becomes garbage. Serving leaves none behind
    (polls, submits, error answers, connections opened, cut off or sent garbage make none), so what a collection
    can freeze of them is at most what the requests in flight hold."""
    gc.collect()
    gc.freeze()
    if freeze_survivors not in gc.callbacks:
        gc.callbacks.append(freeze_survivors)


def freeze_survivors(phase: str, info: dict[str, int]) -> None:
    if phase == "stop":
        gc.freeze()


def banner(settings: Any) -> str:
    from mockserver.server.app import client_urls

    base = f"http://{settings.host}:{settings.port}"
    clock = settings.clock if settings.time_scale == 1 else f"{settings.clock}, time scale {settings.time_scale}"
    workers = f", {settings.workers} workers" if settings.workers > 1 else ""
    lines = [
        f"jimeng-mock listening on {base} (clock: {clock}, seed: {settings.seed}, store: {settings.store}{workers})"
    ]
    lines.append("")
    width = max(len(p) for p in (*settings.providers, "dashboard"))
    lines += [f"  {pid:<{width}}  {url}" for pid, url in client_urls(base, settings.providers).items()]
    if settings.root_provider:
        lines.append(f"  {'(root)':<{width}}  {base}  -> {settings.root_provider}")
    if "volcengine" in settings.providers:
        lines.append(volcengine_keys(settings))
    guard = " (token required)" if settings.admin_token else ""
    lines.append(f"  {'admin':<{width}}  {base}/__admin{guard}")
    lines.append(f"  {'dashboard':<{width}}  {base}/__admin/ui/")
    if settings.admin_token is None and settings.allow_open_admin:
        lines += ["", f"warning: the admin API is open to anyone who can reach {settings.host} (--allow-open-admin)"]
    return "\n".join(lines)


def volcengine_keys(settings: Any) -> str:
    """The key pairs Volcengine Visual accepts: the default one in full (a client needs its secret), configured
    ones by their access key only (their secrets are the user's)."""
    api_keys = settings.for_provider("volcengine").api_keys
    if any(KeyPair.parse(key) for key in api_keys or ()):
        keys = ", ".join(pair.access_key for pair in accepted_pairs(api_keys, settings.seed))
        return f"  volcengine access keys (configured): {keys}"
    pair = default_key_pair(settings.seed)
    return f"  volcengine default key pair: access key {pair.access_key}  secret key {pair.secret_key}"


if __name__ == "__main__":
    raise SystemExit(main())
