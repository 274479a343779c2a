"""Reads scenario files. A bad file is refused with its path, the line and what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from mockserver.contracts.predicate import compile_check
from mockserver.contracts.yaml_cache import YAML_LOADER
from mockserver.engine.timing import TimingError
from mockserver.scenarios.model import Scenario, scenario_from_dict
from mockserver.scenarios.schema import SCENARIO

MAX_SCENARIO_BYTES = 64 * 1024
"""The default of the `max_scenario_bytes` setting."""

_CONFORMS = compile_check(SCENARIO, lambda pointer: None)
"""The scenario schema as a predicate: a valid file never needs jsonschema, which takes a fifth of start-up
to import; a bad one goes to jsonschema for the message."""


class ScenarioFileError(ValueError):
    def __init__(self, path: Traversable | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.reason = str(path), line, message


def bundled_dir() -> Traversable:
    """The library shipped inside the package (package data): mockserver/scenarios/builtin/."""
    return files("mockserver.scenarios") / "builtin"


def load_bundled(max_bytes: int = MAX_SCENARIO_BYTES) -> list[Scenario]:
    """The shipped library; a missing or empty one is an error, never an empty library."""
    folder = bundled_dir()
    found = load_directory(folder, max_bytes) if folder.is_dir() else []
    if not found:
        raise ScenarioFileError(
            folder, 0, "the scenario library shipped inside the package is missing; reinstall jimeng-mock"
        )
    return found


def load_directory(directory: Traversable, max_bytes: int = MAX_SCENARIO_BYTES) -> list[Scenario]:
    """Every `*.yaml` of a folder; a folder that is not there is an error (a misspelt path would hide scenarios)."""
    if not directory.is_dir():
        raise ScenarioFileError(directory, 0, "no such folder of scenario files")
    paths = sorted((path for path in directory.iterdir() if path.name.endswith(".yaml")), key=lambda p: p.name)
    return [load_file(path, max_bytes) for path in paths]


def load_file(path: Traversable, max_bytes: int = MAX_SCENARIO_BYTES) -> Scenario:
    try:
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(path, 0, f"cannot read the file: {exc}") from None
    return parse(text, path.name.removesuffix(".yaml"), str(path), max_bytes)


def parse(text: str, name: str, source: str = "<inline>", max_bytes: int = MAX_SCENARIO_BYTES) -> Scenario:
    """A scenario document: at most `max_bytes` of UTF-8 (the `max_scenario_bytes` setting), without YAML aliases
    (a few hundred bytes of nested aliases expand to billions of nodes for the checks below)."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ScenarioFileError(source, 0, f"the document is over {max_bytes} bytes (max_scenario_bytes)")
    try:
        _refuse_aliases(text, source)
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioFileError(source, mark.line + 1 if mark else 0, f"not valid YAML: {exc}") from None
    except UnicodeError:
        raise ScenarioFileError(source, 0, "not valid YAML: the text holds a lone surrogate, not UTF-8") from None
    error = None if _CONFORMS is not None and _CONFORMS(data) else _first_error(data)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "the document"
        root = yaml.compose(text, Loader=YAML_LOADER)  # the node tree, for the line: only for a bad file
        raise ScenarioFileError(source, _line_of(root, list(error.absolute_path)), f"{where}: {error.message}")
    try:
        return scenario_from_dict(name, data, source, text)
    except (TimingError, ValueError) as exc:
        raise ScenarioFileError(source, 1, str(exc)) from None


def _refuse_aliases(text: str, source: str) -> None:
    """Raise ScenarioFileError at the first alias (`*name`); a document without a `*` has none."""
    if "*" not in text:
        return
    for event in yaml.parse(text, Loader=YAML_LOADER):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else 0
            raise ScenarioFileError(source, line, f"YAML aliases (*{event.anchor}) are not allowed in scenarios")


def _first_error(data: Any) -> Any:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    return best_match(Draft202012Validator(SCENARIO).iter_errors(data))


def _line_of(node: Any, path: Sequence[Any]) -> int:
    """The line of the deepest YAML node along `path` (1-based)."""
    line = node.start_mark.line + 1 if node is not None else 0
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
