"""Shared by the Ark tests: the address of its routes and a valid create body."""

from __future__ import annotations

from typing import Any

TASKS = "/ark/api/v3/contents/generations/tasks"
PRO = "doubao-seedance-1-0-pro-250528"
AUTH = {"Authorization": "Bearer sk-ark"}


def create_body(model: str = PRO, prompt: str = "An orange cat yawning by the window", **fields: Any) -> dict[str, Any]:
    return {"model": model, "content": [{"type": "text", "text": prompt}], **fields}
