"""The four-state lifecycle most gateways share, as the unit tests build it."""

from __future__ import annotations

from typing import Any

from mockserver.engine import Lifecycle


def four_state_spec(**changes: Any) -> dict[str, Any]:
    """An `x-lifecycle` block: queued -> processing -> succeeded | failed (queued may fail too)."""
    spec: dict[str, Any] = {
        "states": ["queued", "processing", "succeeded", "failed"],
        "initial": "queued",
        "success": "succeeded",
        "failure": "failed",
        "terminal": ["succeeded", "failed"],
        "transitions": {"queued": ["processing", "failed"], "processing": ["succeeded", "failed"]},
    }
    spec.update(changes)
    return spec


FOUR_STATES = Lifecycle.from_contract(four_state_spec())
