"""Scenario files: the bundled library loads, and a bad file is refused with its path, line and reason."""

from __future__ import annotations

import copy
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.engine import Fixed, Forever, Outcome, StepPlan
from mockserver.scenarios import ScenarioFileError, ScenarioLibrary, load_file, parse
from mockserver.scenarios.loader import _CONFORMS, bundled_dir
from mockserver.scenarios.schema import SCENARIO


def test_the_bundled_library_loads_and_every_file_is_described() -> None:
    library = ScenarioLibrary.load()
    names = {path.name.removesuffix(".yaml") for path in bundled_dir().iterdir() if path.name.endswith(".yaml")}
    assert names <= set(library.names())
    assert len(names) >= 15
    assert all(library.get(name).description for name in names)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("description: x\nfail:\n  at_progress: 80\n", 3, "fail: 'error' is a required property"),
        ("description: x\nfail:\n  error: e\n  at_progress: 120\n", 4, "fail.at_progress: 120 is greater than"),
        ("description: x\nstuck: processing\ncolour: red\n", 1, "Additional properties are not allowed ('colour'"),
        ("description: x\npolls:\n  - {status: 503}\n", 3, "polls.0"),
        ("description: x\npolls:\n  - {nth: 0, status: 503}\n", 3, "polls.0.nth: 0 is less than the minimum of 1"),
        ("description: x\ntimings:\n  queued: -1\n", 3, "timings.queued"),
        ("description: x\nresult:\n  ttl: 0\n", 3, "result.ttl: 0 is less than or equal to the minimum of 0"),
        ("stuck: processing\n", 1, "'description' is a required property"),
        ("description: x\n  bad: indent\n", 2, "not valid YAML"),
        ("- a list\n", 1, "is not of type 'object'"),
        ("description: x\nfaults:\n  - {latency: {polls: 2}}\n", 1, "not a poll count"),
    ],
)
def test_bad_files_name_the_place_and_the_reason(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioFileError) as info:
        load_file(path)
    assert info.value.path == str(path)
    assert info.value.line == line, str(info.value)
    assert reason in info.value.reason
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"description: \xff\xfe")
    with pytest.raises(ScenarioFileError, match="cannot read the file"):
        load_file(path)


def test_extra_directories_add_and_override(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("description: my own\nstuck: queued\n")
    (tmp_path / "instant.yaml").write_text("description: my instant\n")
    library = ScenarioLibrary.load([tmp_path])
    assert library.get("mine").stuck == "queued"
    assert library.get("instant").description == "my instant"


def test_shape_applies_timings_stuck_and_failure() -> None:
    steps = [StepPlan("queued", Fixed(5), (0, 0)), StepPlan("processing", Fixed(60), (1, 99))]
    scenario = parse("description: x\ntimings: {queued: 1}\nfail: {error: e, at_progress: 50}\n", "x")
    shaped, outcome, fail_at = scenario.shape(steps, {"code": 1})
    assert shaped[0].timing == Fixed(1.0) and shaped[1].timing == Fixed(60)
    assert outcome == Outcome("failed", error={"code": 1}) and fail_at == 50
    stuck = parse("description: x\nstuck: queued\n", "y").shape(steps, None)
    assert [s.timing for s in stuck[0]] == [Forever()] and stuck[1] is None


def test_poll_faults_cover_their_polls() -> None:
    scenario = parse("description: x\npolls:\n  - {nth: 2, status: 503}\n  - {from: 4, until: 5, status: 429}\n", "x")
    rng = random.Random(0)
    assert [getattr(scenario.poll_fault(n, rng), "status", None) for n in range(1, 7)] == [
        None,
        503,
        None,
        429,
        429,
        None,
    ]


def test_providers_limit_where_a_scenario_applies() -> None:
    scenario = parse("description: x\nproviders: [gptge]\n", "x")
    assert scenario.applies_to("gptge") and not scenario.applies_to("crazyrouter")
    assert parse("description: x\n", "y").applies_to("crazyrouter")


_BUNDLED = [
    yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in sorted(bundled_dir().iterdir(), key=lambda found: found.name)
    if path.name.endswith(".yaml")
]
_EDIT_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 700),
    st.floats(-1, 2, allow_nan=False),
    st.sampled_from(["", "processing", "all", "poll", "reset", "x"]),
    st.lists(st.sampled_from(["crazyrouter", 1, ""]), max_size=3),
    st.dictionaries(st.sampled_from(["seconds", "polls", "forever", "median", "error", "x"]), st.integers(-1, 3)),
)


def _nodes(value: Any) -> list[Any]:
    """Every mapping and list in a document, itself included."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    found = [value] if isinstance(value, dict | list) else []
    return found + [node for child in children for node in _nodes(child)]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_BUNDLED), st.data())
def test_the_compiled_scenario_schema_agrees_with_jsonschema(document: Any, data: st.DataObject) -> None:
    edited = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(0, 3))):
        node = data.draw(st.sampled_from(_nodes(edited)))
        if isinstance(node, dict):
            key = data.draw(st.sampled_from([*node, "x", "timings", "polls", "fail", "description"]))
            if data.draw(st.booleans()) and key in node:
                del node[key]
            else:
                node[key] = data.draw(_EDIT_VALUES)
        elif node:
            node[data.draw(st.integers(0, len(node) - 1))] = data.draw(_EDIT_VALUES)
    assert _CONFORMS is not None  # else every file would go to jsonschema
    assert _CONFORMS(edited) == Draft202012Validator(SCENARIO).is_valid(edited)


def test_serving_does_not_import_jsonschema() -> None:
    """It takes a fifth of start-up to import: valid bodies and scenario files never need it."""
    code = (
        "import sys; from mockserver.cli.main import worker_app; from mockserver.server.settings import Settings; "
        "worker_app(Settings.load({})); print('jsonschema' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
