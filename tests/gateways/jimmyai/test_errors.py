"""Errors in jimmyai's envelope: auth, malformed bodies, oversized bodies, routes and methods; and the
seed's two success codes ("20000" by default, 0 with the success_code option)."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.server.settings import Settings, SettingsError
from tests.gateways.jimmyai.table import CREATE, QUERY, create, minimal, query, rejected, run_to_end
from tests.support import AUTH, ContractClient, make_client

BODY = minimal("seedance2.0-std")
MISSING = "unauthorized: missing API key (send Authorization: Bearer <token>)"
INVALID = "unauthorized: invalid API key"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer  "}]
)
def test_missing_key(client: ContractClient, headers: dict[str, str]) -> None:
    assert rejected(client.post(CREATE, json=BODY, headers=headers), 401, "40100") == MISSING
    assert rejected(client.get(QUERY + "vid_x", headers=headers), 401, "40100") == MISSING


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token sk-1", "sk-plain"])
def test_malformed_credentials(client: ContractClient, header: str) -> None:
    assert rejected(client.post(CREATE, json=BODY, headers={"Authorization": header}), 401, "40100") == INVALID


def test_configured_keys() -> None:
    with make_client(api_keys=("sk_good",)) as client:
        good = client.post(CREATE, json=BODY, headers={"Authorization": "Bearer sk_good"})
        assert good.status_code == 200
        task_id = good.json()["data"]["task_id"]
        bad = {"Authorization": "Bearer sk_bad"}
        assert rejected(client.post(CREATE, json=BODY, headers=bad), 401, "40100") == INVALID
        assert rejected(client.get(QUERY + task_id, headers=bad), 401, "40100") == INVALID


def test_auth_is_checked_before_the_body(client: ContractClient) -> None:
    assert rejected(client.post(CREATE, content=b"{broken"), 401, "40100") == MISSING


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{bad json", "not valid JSON"),
        (b"", "empty"),
        (b"  ", "empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "request body must be a JSON object"),
        (b'"seedance2.0-std"', "request body must be a JSON object"),
        (b"null", "request body must be a JSON object"),
        (b"42", "request body must be a JSON object"),
    ],
)
def test_malformed_bodies(client: ContractClient, raw: bytes, fragment: str) -> None:
    response = client.post(CREATE, content=raw, headers={**AUTH, "content-type": "application/json"})
    assert fragment in rejected(response)


def test_oversized_body_gets_413() -> None:
    with make_client(max_body_bytes=1024) as client:
        message = rejected(create(client, minimal("seedance2.0-std", prompt="x" * 2000)), 413, "41300")
        assert message == "request body too large (limit 1024 bytes)"


def test_oversized_body_without_content_length_gets_413() -> None:
    def chunks() -> Any:
        yield b'{"model": "seedance2.0-std", "prompt": "'
        yield b"x" * 4096
        yield b'"}'

    with make_client(max_body_bytes=1024) as client:
        assert "too large" in rejected(client.post(CREATE, content=chunks(), headers=AUTH), 413, "41300")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/jimmyai/"),
        ("GET", "/jimmyai/api/open-api/v1/videos"),
        ("POST", "/jimmyai/api/open-api/v1/seedance/video"),
        ("POST", "/jimmyai/api/open-api/v2/seedance/videos"),
        ("GET", "/jimmyai/api/open-api/v1/videos/a/b"),
    ],
)
def test_unknown_routes(client: ContractClient, method: str, path: str) -> None:
    message = rejected(client.request(method, path, headers=AUTH), 404, "40404")
    assert message == f"route not found: {method} {path}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/jimmyai/api/open-api/v1/seedance/videos"),
        ("PUT", "/jimmyai/api/open-api/v1/seedance/videos"),
        ("DELETE", "/jimmyai/api/open-api/v1/videos/vid_1"),
        ("POST", "/jimmyai/api/open-api/v1/videos/vid_1"),
    ],
)
def test_wrong_methods(client: ContractClient, method: str, path: str) -> None:
    response = client.request(method, path, headers=AUTH)
    message = rejected(response, 405, "40500")
    assert message == f"method not allowed: {method} {path}"
    allowed = set(response.headers["allow"].split(", "))
    assert method not in allowed and allowed & {"GET", "POST"}


def test_nothing_is_stored_for_a_rejected_create(client: ContractClient) -> None:
    create(client, minimal("seedance2.0-std", duration=99))
    assert client.get("/__admin/tasks?provider=jimmyai").json()["total"] == 0


def test_success_code_is_the_string_20000_by_default(client: ContractClient) -> None:
    created = create(client, BODY).json()
    assert created["code"] == "20000" and isinstance(created["code"], str)
    response = client.get(QUERY + created["data"]["task_id"], headers=AUTH).json()
    assert response["code"] == "20000" and response["msg"] == "ok"


def test_numeric_code_variant() -> None:
    with make_client(provider_options={"jimmyai": {"success_code": 0}}) as client:
        created = create(client, BODY).json()
        assert created["code"] == 0 and created["msg"] == "ok"
        task_id = created["data"]["task_id"]
        assert run_to_end(client, task_id)[-1]["status"] == "completed"
        assert client.get(QUERY + task_id, headers=AUTH).json()["code"] == 0
        assert rejected(create(client, minimal("seedance2.0-std", duration=3)), 400, 40000)
        assert rejected(client.get(QUERY + "vid_nope", headers=AUTH), 404, 40400)
        assert rejected(client.get("/jimmyai/nope", headers=AUTH), 404, 40404)
        assert rejected(client.post(CREATE, json=BODY), 401, 40100)
        assert query(client, task_id)["status"] == "completed"


def test_success_code_option_is_checked() -> None:
    assert Settings(provider_options={"jimmyai": {"success_code": "20000"}}).for_provider("jimmyai").options == {
        "success_code": "20000"
    }
    for wrong in (20000, "0", False, None):
        with pytest.raises(SettingsError, match="success_code must be one of '20000', 0"):
            Settings(provider_options={"jimmyai": {"success_code": wrong}})
    with pytest.raises(SettingsError, match="unknown option 'success_code'"):
        Settings(provider_options={"crazyrouter": {"success_code": 0}})
