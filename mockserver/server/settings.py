"""One settings object, read from (highest first) command-line flags, `JIMENG_MOCK_*` environment
variables, a YAML config file, and the defaults below."""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from mockserver.core.clock import DEFAULT_VIRTUAL_START, ClockBounds
from mockserver.engine.timing import TimingError, parse_timing
from mockserver.gateways import PROVIDER_IDS, load_provider
from mockserver.gateways.kit.base import ProviderSettings
from mockserver.stores import StoreError, check_store_url

ENV_PREFIX = "JIMENG_MOCK_"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    providers: tuple[str, ...] = PROVIDER_IDS
    root_provider: str | None = None
    seed: int = 0
    clock: str = "system"
    time_scale: float = 1.0
    start_time: float | None = None
    api_keys: tuple[str, ...] = ()
    public_url: str | None = None
    journal_size: int = 1000
    max_body_bytes: int = 16 * 1024 * 1024
    provider_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per-provider options from the config file: url_ttl, task_ttl, timings, api_keys."""
    scenario: str = "default"
    """The scenario of tasks that name none (by header, prompt tag or API key)."""
    scenario_keys: Mapping[str, str] = field(default_factory=dict)
    """API key -> scenario, for clients that can set neither a header nor the prompt."""
    scenario_paths: tuple[str, ...] = ()
    """Extra folders of scenario files, besides the library shipped in scenarios/."""
    store: str = "memory"
    """Where tasks, the clock, the random counters and the journal live: memory, sqlite:///path.db, redis://..."""
    workers: int = 1
    """Worker processes `serve` starts; more than one needs a shared store."""
    store_threads: int = 8
    """Redis store: threads per process for the store calls a request does not pipeline (task listings, deletes,
    purges, media and admin reads), the most of them in flight at once. Submits, polls and the journal go
    pipelined on one connection; the SQLite store runs every call in one thread of its own, in batches."""

    # What one request may make the mock do (README, Security): past these, a 4xx in the gateway's format.
    max_json_depth: int = 64
    """Deepest nesting of arrays and objects in a JSON body (every gateway and the admin API)."""
    max_image_pixels: int = 8192 * 8192
    """Largest uploaded image, in pixels, read from its header before anything decodes it."""
    max_scenario_bytes: int = 64 * 1024
    """Largest scenario document (a file or `POST /__admin/scenarios`); YAML aliases are refused."""
    fault_hang_limit: float = 300.0
    """Longest `X-Mock-Fault` latency, and how long a `hang` fault waits for the client to give up, in seconds."""
    max_prompt_chars: int = 10_000
    """Longest prompt a task keeps, where the gateway documents no lower limit (jimmyai, jimeng2api)."""
    max_tasks: int = 100_000
    """Stored tasks at most: past it the oldest finished tasks are dropped; with none to drop, a submit is
    refused with the gateway's 429/503."""
    max_accounts: int = 10_000
    """jimeng2api's API keys, managed tokens and session credit accounts, each at most: past it a create is a 400
    and the oldest credit account is forgotten."""
    # -- safe to expose: the admin API, the clock's bounds, the media key, the HTTP server's limits --------------
    admin_token: str | None = None
    """When set, /__admin answers only requests that carry it (`Authorization: Bearer`, or the cookie
    `jimeng_mock_admin_token`)."""
    allow_open_admin: bool = False
    """Serve on an address other than loopback without an admin token (anyone who reaches it drives the mock)."""
    admin_page_max: int = 1000
    """The most tasks or journal entries one admin listing returns (`?limit=` above it is refused)."""
    clock_earliest: float = 946_684_800.0
    """The earliest instant the clock may be set to (unix time; default 2000-01-01T00:00:00Z)."""
    clock_latest: float = 4_102_444_800.0
    """The latest instant the clock may reach (unix time; default 2100-01-01T00:00:00Z)."""
    clock_min_scale: float = 1e-6
    """The smallest time scale (time then runs a million times faster than the wall clock)."""
    clock_max_scale: float = 1e6
    """The largest time scale (time then runs a million times slower)."""
    media_secret: str | None = None
    """The key that signs result URLs: random at each start unless set (instances on a shared store share one)."""
    http_max_header_bytes: int = 64 * 1024
    """The most bytes a request's line and headers may take (431 above it)."""
    http_header_timeout: float = 10.0
    """Seconds a connection has to send a request's headers, from its first byte (or from connecting)."""
    http_body_timeout: float = 60.0
    """Seconds a request has to send the rest of its body once its headers have arrived without it, counted again
    while the mock is not reading it (a request queued behind another, a body awaited after `Expect: 100-continue`):
    408 past it."""
    http_keep_alive: int = 5
    """Seconds an idle keep-alive connection stays open."""
    http_max_concurrency: int = 1000
    """The most connections and requests in flight at once; beyond it the server answers 503."""
    # -- callbacks: the one thing the mock sends out ------------------------------------------------------------
    callback_hosts: tuple[str, ...] = ("localhost", "127.0.0.0/8", "::1")
    """Where task callbacks (Ark's callback_url) may be sent: host names and IP networks, `*` for anywhere."""
    callback_timeout: float = 5.0
    """Seconds a callback's receiver has to answer before the delivery counts as failed (Ark documents 5)."""
    callback_interval: float = 0.5
    """Seconds between two looks for due callbacks on a flowing clock or a shared one (a virtual clock sends them as
    it moves, and with several workers each looks for its own tasks' within this interval of another's move)."""

    def __post_init__(self) -> None:
        if unknown := [p for p in (*self.providers, self.root_provider) if p is not None and p not in PROVIDER_IDS]:
            raise SettingsError(f"unknown provider {unknown[0]!r}: choose from {', '.join(PROVIDER_IDS)}")
        if self.root_provider is not None and self.root_provider not in self.providers:
            object.__setattr__(self, "providers", (*self.providers, self.root_provider))
        if self.clock not in ("system", "virtual"):
            raise SettingsError(f"clock must be 'system' or 'virtual', not {self.clock!r}")
        if not self.scenario.strip():
            raise SettingsError("scenario must be a non-empty name")
        if not self.time_scale > 0:
            raise SettingsError("time_scale must be a positive number")
        try:
            check_store_url(self.store)
        except StoreError as exc:
            raise SettingsError(str(exc)) from None
        if self.workers < 1:
            raise SettingsError("workers must be at least 1")
        if self.workers > 1 and self.store == "memory":
            raise SettingsError(
                f"--workers {self.workers} needs a shared store: a task kept in one worker's memory is unknown to "
                "the others. Use --store sqlite:///jimeng-mock.db (one machine) or --store redis://127.0.0.1:6379/0"
            )
        if not 0 <= self.port < 65536:  # 0: serve picks a free port
            raise SettingsError(f"port {self.port} is out of range")
        self._check_safety()
        self._check_bounds()
        for name, options in self.provider_options.items():
            if name not in PROVIDER_IDS:
                raise SettingsError(f"config names unknown provider {name!r}")
            _check_provider_options(name, options)

    def _check_safety(self) -> None:
        if self.admin_token is not None and not self.admin_token.strip():
            raise SettingsError("admin_token must not be empty")
        if self.admin_token is None and not self.allow_open_admin and not is_loopback(self.host):
            raise SettingsError(
                f"refusing to serve the admin API on {self.host} without a token: set --admin-token "
                "(or JIMENG_MOCK_ADMIN_TOKEN), or pass --allow-open-admin to let anyone who reaches it drive the mock"
            )
        if not self.clock_earliest < self.clock_latest:
            raise SettingsError("clock_earliest must be before clock_latest")
        if not 0 < self.clock_min_scale <= self.clock_max_scale < math.inf:
            raise SettingsError("clock_min_scale and clock_max_scale must be positive, the first not above the second")
        start = DEFAULT_VIRTUAL_START if self.start_time is None and self.clock == "virtual" else self.start_time
        if start is not None and not self.clock_earliest <= start <= self.clock_latest:
            raise SettingsError(
                f"the clock would start at {start:.0f}, outside its bounds ({self.clock_earliest:.0f} to "
                f"{self.clock_latest:.0f}: clock_earliest, clock_latest); set start_time within them"
            )
        if not self.clock_min_scale <= self.time_scale <= self.clock_max_scale:
            raise SettingsError(
                f"time_scale must be from {self.clock_min_scale:g} to {self.clock_max_scale:g} "
                "(clock_min_scale, clock_max_scale)"
            )
        if self.media_secret is not None and not self.media_secret:
            raise SettingsError("media_secret must not be empty")
        for name in ("admin_page_max", "http_max_header_bytes", "http_keep_alive", "http_max_concurrency"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1")
        for name in ("http_header_timeout", "http_body_timeout", "callback_timeout", "callback_interval"):
            if not 0 < getattr(self, name) < math.inf:
                raise SettingsError(f"{name} must be a positive number of seconds")

    def _check_bounds(self) -> None:
        for name in _BOUND_INTEGERS:
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1")
        if not 0 < self.fault_hang_limit < math.inf:
            raise SettingsError("fault_hang_limit must be a positive number of seconds")

    @property
    def clock_bounds(self) -> ClockBounds:
        return ClockBounds(self.clock_earliest, self.clock_latest, self.clock_min_scale, self.clock_max_scale)

    def for_provider(self, provider_id: str) -> ProviderSettings:
        options = self.provider_options.get(provider_id, {})
        keys = _convert("api_keys", options.get("api_keys", ())) or self.api_keys
        return ProviderSettings(
            api_keys=frozenset(keys) if keys else None,
            url_ttl=options.get("url_ttl"),
            task_ttl=options.get("task_ttl"),
            timings=dict(options.get("timings", {})),
            max_body_bytes=self.max_body_bytes,
            max_json_depth=self.max_json_depth,
            max_image_pixels=self.max_image_pixels,
            max_prompt_chars=self.max_prompt_chars,
            max_accounts=self.max_accounts,
            public_url=self.public_url,
            callback_hosts=self.callback_hosts,
            options={key: value for key, value in options.items() if key in _own_options(provider_id)},
        )

    @classmethod
    def load(
        cls,
        flags: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        config: str | Path | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Merge `defaults`, the config file, the environment and the flags, each over the one before
        (None values in `flags` are ignored)."""
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        environ = os.environ if environ is None else environ
        config = flags.pop("config", None) or config or environ.get(ENV_PREFIX + "CONFIG")
        values: dict[str, Any] = dict(defaults or {})
        values.update(_read_config(Path(config)) if config else {})
        values.update(_from_env(environ))
        values.update(flags)
        return cls(**_coerce(values))

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **_coerce(changes))


_FIELDS = {f.name: f for f in fields(Settings)}
_ALIASES = {"provider": "root_provider", "api_key": "api_keys"}


def _read_config(path: Path) -> Mapping[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SettingsError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"config file {path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise SettingsError(f"config file {path} must be a mapping of settings")
    values = dict(document)
    if "providers" in values and isinstance(values["providers"], dict):
        values["provider_options"] = values.pop("providers")
        values.setdefault("providers", tuple(PROVIDER_IDS))
    return values


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in (*_FIELDS, *_ALIASES):
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "" and name not in ("provider_options", "scenario_keys"):
            found[_ALIASES.get(name, name)] = raw
    return found


def _coerce(values: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for raw_name, value in values.items():
        name = _ALIASES.get(raw_name, raw_name)
        if name not in _FIELDS:
            raise SettingsError(f"unknown setting {raw_name!r}")
        try:
            result[name] = _convert(name, value)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"setting {raw_name}={value!r} is invalid: {exc}") from None
    return result


_INTEGERS = ("port", "seed", "journal_size", "max_body_bytes", "workers", "store_threads")
_FLOATS = ("time_scale", "start_time")
_SAFETY_INTEGERS = ("admin_page_max", "http_max_header_bytes", "http_keep_alive", "http_max_concurrency")
_SAFETY_FLOATS = (
    "clock_earliest",
    "clock_latest",
    "clock_min_scale",
    "clock_max_scale",
    "http_header_timeout",
    "http_body_timeout",
    "callback_timeout",
    "callback_interval",
)
_BOUND_INTEGERS = (
    "max_json_depth",
    "max_image_pixels",
    "max_scenario_bytes",
    "max_prompt_chars",
    "max_tasks",
    "max_accounts",
    "store_threads",
)
_BOUND_FLOATS = ("fault_hang_limit",)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _convert(name: str, value: Any) -> Any:
    if name in (*_INTEGERS, *_SAFETY_INTEGERS, *_BOUND_INTEGERS):
        if isinstance(value, bool):
            raise ValueError("expected an integer")
        return int(value)
    if name in (*_FLOATS, *_SAFETY_FLOATS, *_BOUND_FLOATS):
        if isinstance(value, bool):
            raise ValueError("expected a number")
        return float(value)
    if name == "allow_open_admin":
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in (*_TRUE, *_FALSE):
            return str(value).strip().lower() in _TRUE
        raise ValueError("expected true or false")
    if name in ("providers", "api_keys", "scenario_paths", "callback_hosts"):
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    if name == "scenario_keys":
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError("expected a mapping of API key to scenario name")
        return {str(k): v for k, v in value.items()}
    if name == "provider_options":
        if not isinstance(value, Mapping):
            raise ValueError("expected a mapping of provider id to options")
        return {str(k): dict(v or {}) for k, v in value.items()}
    return value if value is None else str(value)


def _own_options(provider_id: str) -> Mapping[str, tuple[Any, ...]]:
    """The options a provider declares for itself: {name: allowed values}."""
    declared: Mapping[str, tuple[Any, ...]] = getattr(load_provider(provider_id), "options", {})
    return declared


def _allowed(value: Any, choice: Any) -> bool:
    """A declared choice is a value (matched with its type: 0 is not False) or a type (any value of it)."""
    if isinstance(choice, type):
        return type(value) is choice
    return type(value) is type(choice) and bool(value == choice)


def _check_provider_options(name: str, options: Mapping[str, Any]) -> None:
    own = _own_options(name)
    allowed = {"url_ttl", "task_ttl", "timings", "api_keys", *own}
    for key, choices in own.items():
        if key in options and not any(_allowed(options[key], choice) for choice in choices):
            described = ", ".join(f"any {c.__name__}" if isinstance(c, type) else repr(c) for c in choices)
            raise SettingsError(f"providers.{name}.{key} must be one of {described}")
    if unknown := set(options) - allowed:
        raise SettingsError(f"providers.{name}: unknown option {sorted(unknown)[0]!r} (allowed: {sorted(allowed)})")
    for key in ("url_ttl", "task_ttl"):
        value = options.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise SettingsError(f"providers.{name}.{key} must be a positive number of seconds")
    keys = options.get("api_keys", [])
    if not isinstance(keys, str) and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise SettingsError(f"providers.{name}.api_keys must be a list of keys or a comma-separated string")
    timings = options.get("timings", {})
    if not isinstance(timings, Mapping):
        raise SettingsError(f"providers.{name}.timings must map states to timings")
    for state, timing in timings.items():
        try:
            parse_timing(timing)
        except TimingError as exc:
            raise SettingsError(f"providers.{name}.timings.{state}: {exc}") from None
