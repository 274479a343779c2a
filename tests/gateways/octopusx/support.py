"""Helpers for the OctopusX tests: image bytes, create calls, polling on the virtual clock."""

from __future__ import annotations

import io
from typing import Any

import httpx2
from PIL import Image

from tests.support import AUTH, ContractClient

BASE = "/octopusx/v1"
VIDEOS = f"{BASE}/videos"


def image_bytes(
    width: int = 800, height: int = 600, fmt: str = "PNG", color: tuple[int, int, int] = (30, 140, 90)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def create(
    client: ContractClient,
    files: list[tuple[str, bytes]] | None = None,
    headers: dict[str, str] | None = None,
    **fields: str,
) -> httpx2.Response:
    """A multipart create, as `curl -F` sends it; model and prompt default to the seed's example."""
    fields.setdefault("model", "jimeng-video-3.0")
    fields.setdefault("prompt", "猫咪在草地上追逐蝴蝶")
    parts: list[tuple[str, Any]] = [(name, (None, value)) for name, value in fields.items()]
    parts += [("input_reference", (name, data, "application/octet-stream")) for name, data in files or []]
    return client.post(VIDEOS, files=parts, headers={**AUTH, **(headers or {})})


def created_id(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    task_id: str = response.json()["id"]
    return task_id


def retrieve(client: ContractClient, video_id: str) -> dict[str, Any]:
    response = client.get(f"{VIDEOS}/{video_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def finish(client: ContractClient, video_id: str, step: float = 5.0, limit: float = 3600.0) -> list[dict[str, Any]]:
    """Poll while advancing the virtual clock until the video is completed or failed; every body seen."""
    seen = [retrieve(client, video_id)]
    waited = 0.0
    while seen[-1]["status"] in ("queued", "in_progress"):
        assert waited < limit, f"{video_id} still {seen[-1]['status']} after {limit} s"
        client.runtime.clock.advance(step)
        waited += step
        seen.append(retrieve(client, video_id))
    return seen


def error_body(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body
