"""A gateway's logic is HTTP-free: its routes read the request and hand plain values to its models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mockserver.gateways import PROVIDER_IDS

GATEWAYS = Path(__file__).resolve().parents[2] / "mockserver" / "gateways"
LOGIC = [
    *(path for pid in PROVIDER_IDS for path in GATEWAYS.glob(f"{pid}/models.py")),
    *(path for pid in PROVIDER_IDS for path in GATEWAYS.glob(f"{pid}/models/*.py")),
    GATEWAYS / "jimeng2api" / "gateway.py",
    GATEWAYS / "jimeng2api" / "accounts.py",
]


def test_every_gateway_has_models() -> None:
    assert {path.relative_to(GATEWAYS).parts[0] for path in LOGIC} == set(PROVIDER_IDS)


@pytest.mark.parametrize("path", LOGIC, ids=lambda path: str(path.relative_to(GATEWAYS)))
def test_a_gateways_logic_never_sees_a_request(path: Path) -> None:
    tree = ast.parse(path.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] == "starlette"}
