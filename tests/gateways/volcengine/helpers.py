"""Signed calls to the in-process mock (every answer checked against the contract by ContractClient)."""

from __future__ import annotations

import json
from typing import Any

import httpx2

from mockserver.core.clock import SystemClock
from mockserver.core.volc_v4 import KeyPair, default_key_pair, sign
from tests.support import ContractClient

SEED = 0
PAIR = default_key_pair(SEED)
T2V = "jimeng_t2v_v30"
SUBMIT = ("CVSync2AsyncSubmitTask", "2022-08-31")
GET_RESULT = ("CVSync2AsyncGetResult", "2022-08-31")
CANCEL = ("CVCancelTask", "2024-06-06")


def call(
    client: ContractClient,
    operation: tuple[str, str],
    body: Any,
    *,
    pair: KeyPair = PAIR,
    now: float | None = None,
    headers: dict[str, str] | None = None,
    region: str = "cn-north-1",
) -> httpx2.Response:
    """POST /volcengine/?Action=..&Version=.. with `body` as JSON, signed as the Python SDK signs."""
    action, version = operation
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    query = [("Action", action), ("Version", version)]
    signed = sign(pair, "POST", "/volcengine/", query, "testserver", raw, now=now or SystemClock().now(), region=region)
    return client.post(f"/volcengine/?Action={action}&Version={version}", content=raw, headers=signed | (headers or {}))


def submit(client: ContractClient, **body: Any) -> httpx2.Response:
    body.setdefault("req_key", T2V)
    return call(client, SUBMIT, body)


def task_id_of(response: httpx2.Response) -> str:
    assert response.status_code == 200, response.text
    task_id: str = response.json()["data"]["task_id"]
    return task_id


def result(client: ContractClient, task_id: str, pair: KeyPair = PAIR) -> httpx2.Response:
    return call(client, GET_RESULT, {"req_key": T2V, "task_id": task_id}, pair=pair)


def status(client: ContractClient, task_id: str) -> str:
    response = result(client, task_id)
    assert response.status_code == 200, response.text
    state: str = response.json()["data"]["status"]
    return state


def gateway_error(response: httpx2.Response, status_code: int) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    error: dict[str, Any] = response.json()["ResponseMetadata"]["Error"]
    return error


def business_error(response: httpx2.Response, status_code: int) -> tuple[int, str]:
    assert response.status_code == status_code, response.text
    body = response.json()
    assert body["code"] == body["status"]
    return body["code"], body["message"]
