"""Calls to the api.gpt.ge gateway of the mock, for the tests in this folder."""

from __future__ import annotations

import io
import re
from typing import Any

import av
import httpx2

from tests.support import AUTH, ContractClient

BASE = "/gptge"
T2V = f"{BASE}/task/jimeng/text2video"
I2V = f"{BASE}/task/jimeng/image2video"
REQUEST_ID = re.compile(r"^[0-9]{14}[0-9A-F]{20}$")
TIME_ELAPSED = re.compile(r"^[0-9]+\.[0-9]{6}ms$")


def t2v(client: ContractClient, headers: dict[str, str] | None = None, **body: Any) -> httpx2.Response:
    body.setdefault("prompt", "an orange cat yawning by the window")
    return client.post(T2V, json=body, headers={**AUTH, **(headers or {})})


def i2v(client: ContractClient, headers: dict[str, str] | None = None, **body: Any) -> httpx2.Response:
    body.setdefault("prompt", "the cat turns its head")
    return client.post(I2V, json=body, headers={**AUTH, **(headers or {})})


def task_id_of(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == body["status"] == 10000 and body["message"] == "Success"
    task_id: str = body["data"]["task_id"]
    return task_id


def poll(client: ContractClient, task_id: str) -> httpx2.Response:
    return client.get(f"{BASE}/task/{task_id}", headers=AUTH)


def data_of(client: ContractClient, task_id: str) -> dict[str, Any]:
    response = poll(client, task_id)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def run_to_end(client: ContractClient, task_id: str, step: float = 5.0, limit: float = 3600.0) -> list[str]:
    """Poll while advancing the virtual clock until the task is done; the statuses seen, in order.
    A failed task's final poll is an error envelope whose data.status is done."""
    seen: list[str] = []
    waited = 0.0
    while True:
        seen.append(poll(client, task_id).json()["data"]["status"])
        if seen[-1] == "done":
            return seen
        assert waited < limit, f"task {task_id} still {seen[-1]} after {limit} s"
        client.runtime.clock.advance(step)
        waited += step


def decode(data: bytes) -> tuple[int, int, int, float]:
    """width, height, decoded frame count, frame rate."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        rate = stream.average_rate
        assert rate is not None
        return stream.codec_context.width, stream.codec_context.height, frames, float(rate)
