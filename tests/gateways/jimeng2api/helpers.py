"""Helpers for the jimeng2api tests: paths, credentials, submitting and running tasks on the virtual clock."""

from __future__ import annotations

import io
from typing import Any

import av
import httpx2
from PIL import Image

from tests.support import ContractClient

BASE = "/jimeng2api"
SESSION = {"Authorization": "Bearer session-abc"}
ADMIN = {"x-admin-key": "admin-secret"}


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def video(client: ContractClient, headers: dict[str, str] | None = None, **body: Any) -> httpx2.Response:
    return client.post(f"{BASE}/v1/videos/generations", json=body, headers=SESSION if headers is None else headers)


def image(client: ContractClient, headers: dict[str, str] | None = None, **body: Any) -> httpx2.Response:
    return client.post(f"{BASE}/v1/images/generations", json=body, headers=SESSION if headers is None else headers)


def composition(client: ContractClient, headers: dict[str, str] | None = None, **body: Any) -> httpx2.Response:
    return client.post(f"{BASE}/v1/images/compositions", json=body, headers=SESSION if headers is None else headers)


def task(client: ContractClient, task_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.get(f"{BASE}/v1/tasks/{task_id}", headers=SESSION if headers is None else headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def record(client: ContractClient, task_id: str) -> dict[str, Any]:
    """The mock's stored view of a task's request (the admin API; does not count as a poll)."""
    body: dict[str, Any] = client.get(f"/__admin/tasks/{task_id}").json()["request"]
    return body


def submitted(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"
    task_id: str = response.json()["id"]
    return task_id


def run_to_end(
    client: ContractClient, task_id: str, headers: dict[str, str] | None = None, step: float = 5.0
) -> dict[str, Any]:
    """Poll while advancing the virtual clock until the task is terminal; returns the last task object."""
    body = task(client, task_id, headers)
    waited = 0.0
    while body["status"] not in ("succeeded", "failed"):
        assert waited < 7200, f"task {task_id} still {body['status']}"
        client.runtime.clock.advance(step)
        waited += step
        body = task(client, task_id, headers)
    return body


def error_of(response: httpx2.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def png(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def image_size(data: bytes) -> tuple[str, int, int]:
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        return (picture.format or "").lower(), picture.width, picture.height


def video_facts(data: bytes) -> tuple[int, int, float]:
    """width, height and duration in seconds of an MP4."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        return stream.codec_context.width, stream.codec_context.height, float(stream.duration * stream.time_base)
