"""One settings object, read from (highest first) command-line flags, `JIMENG_MOCK_*` environment
variables, a YAML config file, and the defaults below."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

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
    media_secret: str = "jimeng-mock-media"
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
        if not 0 < self.port < 65536:
            raise SettingsError(f"port {self.port} is out of range")
        for name, options in self.provider_options.items():
            if name not in PROVIDER_IDS:
                raise SettingsError(f"config names unknown provider {name!r}")
            _check_provider_options(name, options)

    def for_provider(self, provider_id: str) -> ProviderSettings:
        options = self.provider_options.get(provider_id, {})
        keys = _convert("api_keys", options.get("api_keys", ())) or self.api_keys
        return ProviderSettings(
            api_keys=frozenset(keys) if keys else None,
            url_ttl=options.get("url_ttl"),
            task_ttl=options.get("task_ttl"),
            timings=dict(options.get("timings", {})),
            max_body_bytes=self.max_body_bytes,
            public_url=self.public_url,
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


def _convert(name: str, value: Any) -> Any:
    if name in ("port", "seed", "journal_size", "max_body_bytes", "workers"):
        if isinstance(value, bool):
            raise ValueError("expected an integer")
        return int(value)
    if name in ("time_scale", "start_time"):
        return float(value)
    if name in ("providers", "api_keys", "scenario_paths"):
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
