"""The layers of ARCHITECTURE.md, enforced: each module imports only from the layers it may use."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"

# layer (a folder of mockserver/) -> the layers it may import (its own layer is always allowed).
# The package's own __init__ and __main__ are the public API and may import everything.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "contracts": {"core", "engine"},
    "engine": {"core"},
    "media": {"core"},
    "stores": {"core", "engine"},
    "scenarios": {"core", "engine", "contracts"},
    "cassettes": {"core"},
    "gateways": {"core", "engine", "media", "contracts", "scenarios"},
    "server": {"core", "engine", "stores", "media", "contracts", "scenarios", "cassettes", "gateways"},
    "conformance": {"core", "engine", "media", "contracts", "server"},
    "cli": {"core", "stores", "scenarios", "cassettes", "gateways", "server", "conformance"},
    "testing": {"core", "engine", "scenarios", "server"},
}
LAYERS = set(ALLOWED)


def layer_of(module: str) -> str:
    """A module's layer is the folder it lives in, directly under mockserver/."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__main__",):
        return "api"
    assert parts[1] in LAYERS, f"{module} is not in a layer's folder: mockserver/ holds only {sorted(LAYERS)}"
    return parts[1]


def test_every_folder_is_a_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert folders == LAYERS, folders ^ LAYERS
    assert not loose, f"modules outside any layer: {sorted(loose)}"


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
            if own != "api" and target != own and target not in ALLOWED[own]:
                broken.append(f"{module} ({own}) imports {imported} ({target})")
    assert not broken, "\n".join(broken)


SHARED_BY_GATEWAYS = {"kit", "families"}


def gateway_of(module: str) -> str | None:
    """The gateway a module of gateways/ belongs to (None for kit/, families/ and the folder's own __init__)."""
    parts = module.split(".")
    if len(parts) < 3 or parts[1] != "gateways" or parts[2] in SHARED_BY_GATEWAYS:
        return None
    return parts[2]


def test_no_gateway_imports_another() -> None:
    """Gateways know nothing of each other: what several share lives in kit/ or families/, which import none."""
    crossing = []
    for path in sorted((PACKAGE / "gateways").rglob("*.py")):
        module = module_name(path)
        own = gateway_of(module)
        for imported in imports_of(path):
            other = gateway_of(imported)
            if other is not None and other != own and module != "mockserver.gateways":  # the registry loads them
                crossing.append(f"{module} imports {imported}")
    assert not crossing, "\n".join(crossing)


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
