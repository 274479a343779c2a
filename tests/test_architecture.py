"""The layers of ARCHITECTURE.md, enforced: each module imports only from the layers it may use."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"

# layer -> the layers it may import (its own layer is always allowed)
ALLOWED: dict[str, set[str]] = {
    "foundation": set(),
    "engine": {"foundation"},
    "media": {"foundation"},
    "stores": {"foundation", "engine"},
    "contracts": {"foundation", "engine"},
    "scenarios": {"foundation", "engine"},
    "cassettes": {"foundation"},
    "providers": {"foundation", "engine", "media", "contracts", "scenarios"},
    "server": {"foundation", "engine", "stores", "media", "contracts", "scenarios", "cassettes", "providers"},
    "conformance": {"foundation", "engine", "media", "contracts", "server"},
    "cli": {"foundation", "stores", "scenarios", "cassettes", "providers", "server", "conformance"},
    "testing": {"foundation", "engine", "scenarios", "server"},
    "api": {
        "foundation",
        "engine",
        "stores",
        "media",
        "contracts",
        "scenarios",
        "cassettes",
        "providers",
        "server",
        "conformance",
        "cli",
        "testing",
    },
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "api"
    name = parts[1]
    if name in ("clock", "randomness", "streams", "schema_predicate", "parsed_cache"):
        return "foundation"
    if name in ("engine", "stores", "media", "providers", "contracts", "scenarios", "cassettes", "conformance", "cli"):
        return name
    if name in ("__main__", "cli_cassettes"):
        return "cli"
    if name in ("settings", "runtime", "journal", "admin", "app", "faults"):
        return "server"
    if name in ("testing", "pytest_plugin"):
        return "testing"
    raise AssertionError(f"{module} belongs to no layer: add it to ARCHITECTURE.md and this test")


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return {name for name in found if name == "mockserver" or name.startswith("mockserver.")}


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_every_import_respects_the_layers() -> None:
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        own = layer_of(module)
        for imported in imports_of(path):
            target = layer_of(imported)
            if target != own and target not in ALLOWED[own]:
                broken.append(f"{module} ({own}) imports {imported} ({target})")
    assert not broken, "\n".join(broken)


def test_engine_knows_nothing_of_http() -> None:
    for path in (PACKAGE / "engine").rglob("*.py"):
        text = path.read_text()
        assert "starlette" not in text and "uvicorn" not in text, path


def test_only_the_clock_reads_the_time() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name == "clock.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "time":
                assert node.attr not in {"time", "monotonic", "perf_counter", "time_ns"}, f"{path}: time.{node.attr}"
            if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow"} and isinstance(node.value, ast.Name):
                assert node.value.id not in {"datetime", "date"}, f"{path}: {node.value.id}.{node.attr}"


def test_no_module_is_too_long() -> None:
    long = [
        f"{p.relative_to(PACKAGE)}: {n}" for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400
    ]
    assert not long, long
