"""Contracts and scenarios are package data, found through importlib.resources; a missing one stops the start
with a message that says what is missing, never an empty library or a traceback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from mockserver.cli.main import main
from mockserver.contracts.contract import CONTRACTS_ENV, ContractError, contracts_dir, load_contract
from mockserver.gateways import PROVIDER_IDS
from mockserver.scenarios import ScenarioFileError, ScenarioLibrary
from mockserver.scenarios import loader as scenario_loader
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings, SettingsError

SPECS = Path(str(files("mockserver.contracts") / "specs"))


@pytest.fixture
def fresh_contracts() -> Iterator[None]:
    """load_contract keeps what it loaded: start and end these tests with nothing kept."""
    load_contract.cache_clear()
    yield
    load_contract.cache_clear()


def test_the_contracts_and_the_scenario_library_are_package_resources() -> None:
    assert Path(str(contracts_dir())) == SPECS
    assert {p.name for p in SPECS.iterdir()} >= {f"{pid}.yaml" for pid in (*PROVIDER_IDS, "admin")}
    builtin = files("mockserver.scenarios") / "builtin"
    assert len([p for p in builtin.iterdir() if p.name.endswith(".yaml")]) >= 50


def test_the_dashboard_pages_and_script_are_package_resources() -> None:
    dashboard = files("mockserver.server.dashboard")
    pages = {"base", "overview", "tasks", "task", "journal", "scenarios", "index"}
    assert {p.name for p in (dashboard / "templates").iterdir()} >= {f"{name}.html" for name in pages}
    static = {"dashboard.js", "pages.js", "dashboard.css", "login.html"}
    assert {p.name for p in (dashboard / "static").iterdir()} >= static


def test_the_pyproject_ships_the_dashboard() -> None:
    """setuptools packs only what package-data names: every dashboard file must match one of its patterns."""
    import tomllib

    root = SPECS.parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["mockserver"]
    shipped = [p for p in (root / "mockserver/server/dashboard").rglob("*") if p.is_file() and p.suffix != ".pyc"]
    unshipped = [
        p
        for p in shipped
        if p.suffix != ".py" and not any(p.relative_to(root / "mockserver").match(pattern) for pattern in patterns)
    ]
    assert shipped and not unshipped


@pytest.mark.usefixtures("fresh_contracts")
def test_the_contracts_env_points_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SPECS, tmp_path, dirs_exist_ok=True)
    document = (tmp_path / "gptge.yaml").read_text(encoding="utf-8")
    (tmp_path / "gptge.yaml").write_text(document.replace("title: ", "title: Edited ", 1), encoding="utf-8")
    monkeypatch.setenv(CONTRACTS_ENV, str(tmp_path))
    assert load_contract("gptge").document["info"]["title"].startswith("Edited ")


@pytest.mark.usefixtures("fresh_contracts")
def test_a_missing_contract_stops_the_start_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(CONTRACTS_ENV, str(tmp_path))
    with pytest.raises(ContractError, match=f"no contract 'crazyrouter' in {tmp_path}: {CONTRACTS_ENV}="):
        load_contract("crazyrouter")
    assert main(["serve", "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith(f"jimeng-mock: no contract 'crazyrouter' in {tmp_path}")
    monkeypatch.setenv(CONTRACTS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(ContractError, match=r"no contract folder at .*nowhere"):
        load_contract("crazyrouter")


def test_a_missing_scenario_library_is_an_error_not_an_empty_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(scenario_loader, "bundled_dir", lambda: tmp_path)  # as a wheel without the files was
    with pytest.raises(ScenarioFileError, match="shipped inside the package is missing; reinstall jimeng-mock"):
        ScenarioLibrary.load()
    assert main(["scenarios", "list"]) == 2
    assert "scenario library shipped inside the package is missing" in capsys.readouterr().err
    with pytest.raises(SettingsError, match="scenario library shipped inside the package is missing"):
        MockRuntime(Settings(clock="virtual"))


def test_a_scenario_path_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=f"{tmp_path / 'missing'}:0: no such folder of scenario files"):
        MockRuntime(Settings(clock="virtual", scenario_paths=(str(tmp_path / "missing"),)))


def test_scenarios_list_shows_the_whole_library_and_the_configured_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "my_outage.yaml").write_text("description: Every submit gets 503.\nreject: internal_error\n")
    config = tmp_path / "mock.yaml"
    config.write_text(f"scenario_paths: [{tmp_path / 'mine'}]\n")
    assert main(["scenarios", "--config", str(config), "list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    shipped = sorted(p.name.removesuffix(".yaml") for p in SPECS.parent.parent.joinpath("scenarios/builtin").iterdir())
    assert listed == sorted(["default", "my_outage", *shipped])
