from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.gateways import PROVIDER_IDS
from mockserver.gateways.kit.base import ProviderSettings
from mockserver.server.settings import Settings, SettingsError


def write(tmp_path: Path, text: str, name: str = "mock.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(
    flags: dict[str, Any] | None = None, environ: dict[str, str] | None = None, config: Path | None = None
) -> Settings:
    return Settings.load(flags, {} if environ is None else environ, config)


# defaults


def test_defaults() -> None:
    settings = Settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.providers == PROVIDER_IDS
    assert {"crazyrouter", "octopusx"} <= set(PROVIDER_IDS)
    assert settings.root_provider is None
    assert settings.seed == 0
    assert settings.clock == "system"
    assert settings.time_scale == 1.0
    assert settings.start_time is None
    assert settings.api_keys == ()
    assert settings.media_secret is None
    assert (settings.admin_token, settings.allow_open_admin, settings.admin_page_max) == (None, False, 1000)
    assert (settings.clock_earliest, settings.clock_latest) == (946_684_800.0, 4_102_444_800.0)
    assert (settings.clock_min_scale, settings.clock_max_scale) == (1e-6, 1e6)
    assert (settings.http_max_header_bytes, settings.http_header_timeout) == (65536, 10.0)
    assert (settings.http_keep_alive, settings.http_max_concurrency) == (5, 1000)
    assert settings.public_url is None
    assert settings.journal_size == 1000
    assert settings.max_body_bytes == 16 * 1024 * 1024
    assert settings.provider_options == {}


def test_load_with_nothing_gives_the_defaults() -> None:
    assert load() == Settings()


def test_load_ignores_none_flags() -> None:
    assert load({"port": None, "seed": None, "config": None}) == Settings()


# precedence


def test_flags_beat_env_beat_config(tmp_path: Path) -> None:
    config = write(tmp_path, "port: 1111\nseed: 1\nhost: 0.0.0.0\nadmin_token: t\n")
    environ = {"JIMENG_MOCK_PORT": "2222", "JIMENG_MOCK_SEED": "2"}
    settings = load({"port": 3333}, environ, config)
    assert (settings.port, settings.seed, settings.host) == (3333, 2, "0.0.0.0")


def test_env_beats_config(tmp_path: Path) -> None:
    config = write(tmp_path, "port: 1111\n")
    assert load(None, {"JIMENG_MOCK_PORT": "2222"}, config).port == 2222


def test_config_beats_defaults(tmp_path: Path) -> None:
    config = write(tmp_path, "port: 1111\nclock: virtual\nstart_time: 1000000000\ntime_scale: 0.5\n")
    settings = load(config=config)
    assert (settings.port, settings.clock, settings.start_time, settings.time_scale) == (1111, "virtual", 1e9, 0.5)


def test_empty_env_values_are_ignored(tmp_path: Path) -> None:
    config = write(tmp_path, "port: 1111\n")
    assert load(None, {"JIMENG_MOCK_PORT": ""}, config).port == 1111


def test_config_path_from_flags(tmp_path: Path) -> None:
    config = write(tmp_path, "port: 1111\n")
    other = write(tmp_path, "port: 4444\n", "other.yaml")
    assert load({"config": str(config)}, {"JIMENG_MOCK_CONFIG": str(other)}, other).port == 1111


def test_config_path_argument_beats_env(tmp_path: Path) -> None:
    config = write(tmp_path, "port: 1111\n")
    other = write(tmp_path, "port: 4444\n", "other.yaml")
    assert load(None, {"JIMENG_MOCK_CONFIG": str(other)}, config).port == 1111


def test_config_path_from_env(tmp_path: Path) -> None:
    config = write(tmp_path, "port: 1111\n")
    assert load(None, {"JIMENG_MOCK_CONFIG": str(config)}).port == 1111


def test_empty_config_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load(config=write(tmp_path, "")) == Settings()


@pytest.mark.parametrize(
    ("name", "raw", "field", "value"),
    [
        ("HOST", "0.0.0.0", "host", "0.0.0.0"),
        ("PORT", "9000", "port", 9000),
        ("SEED", "-3", "seed", -3),
        ("CLOCK", "virtual", "clock", "virtual"),
        ("TIME_SCALE", "0.05", "time_scale", 0.05),
        ("START_TIME", "1767225600", "start_time", 1767225600.0),
        ("MEDIA_SECRET", "s3cret", "media_secret", "s3cret"),
        ("PUBLIC_URL", "http://mock:8000", "public_url", "http://mock:8000"),
        ("JOURNAL_SIZE", "10", "journal_size", 10),
        ("MAX_BODY_BYTES", "2048", "max_body_bytes", 2048),
        ("ROOT_PROVIDER", "crazyrouter", "root_provider", "crazyrouter"),
    ],
)
def test_env_values_are_converted(name: str, raw: str, field: str, value: Any) -> None:
    environ = {"JIMENG_MOCK_" + name: raw, "JIMENG_MOCK_ADMIN_TOKEN": "t"}
    assert getattr(load(None, environ), field) == value


def test_env_without_the_prefix_is_ignored() -> None:
    assert load(None, {"PORT": "9000", "MOCK_PORT": "9001", "JIMENG_PORT": "9002"}).port == 8000


def test_env_provider_options_is_not_read() -> None:
    assert load(None, {"JIMENG_MOCK_PROVIDER_OPTIONS": "crazyrouter"}).provider_options == {}


# aliases and lists


def test_api_key_alias_in_flags() -> None:
    assert load({"api_key": "k1"}).api_keys == ("k1",)


def test_api_key_alias_in_env() -> None:
    assert load(None, {"JIMENG_MOCK_API_KEY": "k1,k2"}).api_keys == ("k1", "k2")


def test_provider_alias_in_env() -> None:
    assert load(None, {"JIMENG_MOCK_PROVIDER": "crazyrouter"}).root_provider == "crazyrouter"


def test_provider_alias_in_flags_and_config(tmp_path: Path) -> None:
    assert load({"provider": "crazyrouter"}).root_provider == "crazyrouter"
    assert load(config=write(tmp_path, "provider: crazyrouter\napi_key: [a, b]\n")).api_keys == ("a", "b")


def test_comma_separated_lists_from_env() -> None:
    settings = load(None, {"JIMENG_MOCK_API_KEYS": " a, b ,,c,", "JIMENG_MOCK_PROVIDERS": "crazyrouter,"})
    assert settings.api_keys == ("a", "b", "c")
    assert settings.providers == ("crazyrouter",)


def test_lists_from_config(tmp_path: Path) -> None:
    settings = load(config=write(tmp_path, "api_keys: [x, ' y ', 3]\nproviders: [crazyrouter]\n"))
    assert settings.api_keys == ("x", "y", "3")
    assert settings.providers == ("crazyrouter",)


def test_root_provider_joins_the_providers() -> None:
    settings = Settings(providers=(), root_provider="crazyrouter")
    assert settings.providers == ("crazyrouter",)


def test_with_overrides_converts_and_validates() -> None:
    settings = Settings().with_overrides(port="9001", api_key="k", time_scale="0.5")
    assert (settings.port, settings.api_keys, settings.time_scale) == (9001, ("k",), 0.5)
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        Settings().with_overrides(colour="red")


# the providers block of a config file


def test_providers_mapping_in_config(tmp_path: Path) -> None:
    config = write(tmp_path, "providers:\n  crazyrouter:\n    url_ttl: 60\n    timings: {queued: 2}\n")
    settings = load(config=config)
    assert settings.providers == PROVIDER_IDS
    assert settings.provider_options == {"crazyrouter": {"url_ttl": 60, "timings": {"queued": 2}}}
    provider = settings.for_provider("crazyrouter")
    assert provider == ProviderSettings(
        api_keys=None, url_ttl=60, task_ttl=None, timings={"queued": 2}, max_body_bytes=16 * 1024 * 1024
    )


def test_provider_options_with_every_timing_kind(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "providers:\n"
        "  crazyrouter:\n"
        "    task_ttl: 3600\n"
        "    timings:\n"
        "      queued: {polls: 2}\n"
        "      processing: {lognormal: {median: 60, sigma: 0.3}}\n"
        "      other: {uniform: [1, 2]}\n",
    )
    provider = load(config=config).for_provider("crazyrouter")
    assert provider.task_ttl == 3600
    assert provider.timings == {
        "queued": {"polls": 2},
        "processing": {"lognormal": {"median": 60, "sigma": 0.3}},
        "other": {"uniform": [1, 2]},
    }


def test_provider_with_no_options(tmp_path: Path) -> None:
    settings = load(config=write(tmp_path, "providers: {crazyrouter: null}\n"))
    assert settings.provider_options == {"crazyrouter": {}}
    assert settings.for_provider("crazyrouter") == ProviderSettings()


# for_provider


def test_for_provider_accepts_any_key_when_none_configured() -> None:
    assert Settings().for_provider("crazyrouter").api_keys is None


def test_for_provider_uses_global_keys() -> None:
    provider = Settings(api_keys=("a", "b", "a")).for_provider("crazyrouter")
    assert provider.api_keys == frozenset({"a", "b"})
    assert isinstance(provider.api_keys, frozenset)


def test_provider_keys_override_global_keys(tmp_path: Path) -> None:
    config = write(tmp_path, "api_keys: [global]\nproviders: {crazyrouter: {api_keys: [own1, own2]}}\n")
    assert load(config=config).for_provider("crazyrouter").api_keys == frozenset({"own1", "own2"})


def test_empty_provider_keys_fall_back_to_global_keys(tmp_path: Path) -> None:
    config = write(tmp_path, "api_keys: [global]\nproviders: {crazyrouter: {api_keys: []}}\n")
    assert load(config=config).for_provider("crazyrouter").api_keys == frozenset({"global"})


def test_for_provider_passes_body_limit_and_public_url() -> None:
    provider = Settings(max_body_bytes=10, public_url="http://example.test").for_provider("crazyrouter")
    assert (provider.max_body_bytes, provider.public_url) == (10, "http://example.test")
    assert (provider.url_ttl, provider.task_ttl, provider.timings) == (None, None, {})


def test_for_provider_timings_is_a_copy(tmp_path: Path) -> None:
    settings = load(config=write(tmp_path, "providers: {crazyrouter: {timings: {queued: 2}}}\n"))
    settings.for_provider("crazyrouter").timings["queued"] = 99
    assert settings.for_provider("crazyrouter").timings == {"queued": 2}


# errors


@pytest.mark.parametrize(
    ("flags", "environ", "message"),
    [
        ({"colour": "red"}, {}, "unknown setting 'colour'"),
        ({}, {"JIMENG_MOCK_PORT": "http"}, "setting port='http' is invalid"),
        ({"port": 65536}, {}, "port 65536 is out of range"),
        ({"port": -1}, {}, "port -1 is out of range"),
        ({"port": True}, {}, "setting port=True is invalid: expected an integer"),
        ({"port": "80.5"}, {}, "setting port='80.5' is invalid"),
        ({"seed": "x"}, {}, "setting seed='x' is invalid"),
        ({"clock": "scaled"}, {}, "clock must be 'system' or 'virtual', not 'scaled'"),
        ({}, {"JIMENG_MOCK_CLOCK": "wall"}, "clock must be 'system' or 'virtual', not 'wall'"),
        ({"time_scale": 0}, {}, "time_scale must be a positive number"),
        ({"time_scale": -0.5}, {}, "time_scale must be a positive number"),
        ({"time_scale": "nan"}, {}, "time_scale must be a positive number"),
        ({"time_scale": "fast"}, {}, "setting time_scale='fast' is invalid"),
        ({"providers": "crazyrouter,openai"}, {}, "unknown provider 'openai'"),
        ({"provider": "kling"}, {}, "unknown provider 'kling'"),
        ({}, {"JIMENG_MOCK_PROVIDER": "kling"}, "unknown provider 'kling'"),
        ({"provider_options": ["crazyrouter"]}, {}, "expected a mapping of provider id to options"),
    ],
)
def test_settings_errors(flags: dict[str, Any], environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(flags, environ)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour: red\n", "unknown setting 'colour'"),
        ("port: 99999\n", "port 99999 is out of range"),
        ("providers: {openai: {}}\n", "config names unknown provider 'openai'"),
        ("providers: {crazyrouter: {retries: 3}}\n", "providers.crazyrouter: unknown option 'retries'"),
        ("providers: {crazyrouter: {url_ttl: 0}}\n", "providers.crazyrouter.url_ttl must be a positive number"),
        ("providers: {crazyrouter: {url_ttl: -5}}\n", "providers.crazyrouter.url_ttl must be a positive number"),
        ("providers: {crazyrouter: {url_ttl: '60'}}\n", "providers.crazyrouter.url_ttl must be a positive number"),
        ("providers: {crazyrouter: {url_ttl: null}}\n", "providers.crazyrouter.url_ttl must be a positive number"),
        ("providers: {crazyrouter: {task_ttl: 0}}\n", "providers.crazyrouter.task_ttl must be a positive number"),
        ("providers: {crazyrouter: {timings: {queued: -1}}}\n", "providers.crazyrouter.timings.queued: a duration"),
        ("providers: {crazyrouter: {timings: {queued: {polls: 0}}}}\n", "providers.crazyrouter.timings.queued"),
        ("providers: {crazyrouter: {timings: {processing: {gamma: 1}}}}\n", "unknown timing"),
        ("providers: {crazyrouter: [url_ttl]}\n", "setting provider_options="),
    ],
)
def test_config_file_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load(config=write(tmp_path, text))
    assert message in str(caught.value)


def test_unreadable_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(SettingsError, match=r"cannot read config file .*missing\.yaml"):
        load(config=missing)


def test_config_file_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read config file"):
        load(config=tmp_path)


@pytest.mark.parametrize("text", ["port: [1, 2\n", "a: b: c\n", "key: 'unterminated\n", "\tport: 1\n"])
def test_invalid_yaml(tmp_path: Path, text: str) -> None:
    with pytest.raises(SettingsError, match="is not valid YAML"):
        load(config=write(tmp_path, text))


@pytest.mark.parametrize("text", ["- port\n- 8000\n", "just a string\n", "42\n"])
def test_non_mapping_yaml(tmp_path: Path, text: str) -> None:
    with pytest.raises(SettingsError, match="must be a mapping of settings"):
        load(config=write(tmp_path, text))


def test_settings_error_is_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_defaults_argument_is_the_lowest_layer(tmp_path: Path) -> None:
    config = write(tmp_path, "seed: 4\n")
    settings = Settings.load({}, {"JIMENG_MOCK_TIME_SCALE": "0.5"}, config, defaults={"clock": "virtual", "seed": 1})
    assert (settings.clock, settings.seed, settings.time_scale) == ("virtual", 4, 0.5)
    assert Settings.load({"clock": "system"}, {}, defaults={"clock": "virtual"}).clock == "system"


def test_scenario_is_the_server_default_and_must_be_named() -> None:
    assert Settings().scenario == "default"
    assert load(environ={"JIMENG_MOCK_SCENARIO": "slow_queue"}).scenario == "slow_queue"
    with pytest.raises(SettingsError, match="scenario must be a non-empty name"):
        Settings(scenario=" ")


def test_the_request_bounds_are_settings_from_env_and_config(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text("max_json_depth: 10\nmax_tasks: 500\n")
    environ = {"JIMENG_MOCK_FAULT_HANG_LIMIT": "30", "JIMENG_MOCK_MAX_IMAGE_PIXELS": "1000000"}
    settings = Settings.load(environ=environ, config=config)
    assert (settings.max_json_depth, settings.max_tasks) == (10, 500)
    assert (settings.fault_hang_limit, settings.max_image_pixels) == (30.0, 1_000_000)
    provider = settings.for_provider("jimmyai")
    assert (provider.max_json_depth, provider.max_image_pixels) == (10, 1_000_000)


@pytest.mark.parametrize(
    "changes",
    [
        {"max_json_depth": 0},
        {"max_tasks": 0},
        {"max_prompt_chars": -1},
        {"max_scenario_bytes": 0},
        {"max_image_pixels": 0},
        {"fault_hang_limit": 0},
        {"fault_hang_limit": float("inf")},
        {"fault_hang_limit": float("nan")},
    ],
)
def test_request_bounds_out_of_range_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(SettingsError):
        Settings(**changes)
