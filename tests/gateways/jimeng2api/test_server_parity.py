"""Answers compared with the real server's (its public source run on loopback): bodies, form fields, the
admin key."""

from __future__ import annotations

import pytest

from mockserver.server.settings import Settings, SettingsError
from tests.gateways.jimeng2api.helpers import ADMIN, BASE, SESSION, error_of, png, record, submitted
from tests.support import ContractClient, make_client


@pytest.mark.parametrize("body", [b"", b"  \n"])
def test_an_empty_json_body_is_invalid_json(client: ContractClient, body: bytes) -> None:
    headers = SESSION | {"Content-Type": "application/json"}
    response = client.post(f"{BASE}/v1/videos/generations", content=body, headers=headers)
    assert response.status_code == 400
    assert error_of(response) == {
        "message": "Invalid JSON body: Unexpected end of JSON input",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_json",
    }


def test_a_composition_needs_image_files_not_text_fields(client: ContractClient) -> None:
    files = [("other", ("a.png", png(8, 8), "image/png"))]
    data = {"prompt": "x", "images": "https://e.com/a.png"}
    response = client.post(f"{BASE}/v1/images/compositions", data=data, files=files, headers=SESSION)
    assert (error_of(response)["message"], error_of(response)["param"]) == ("在form-data中缺少 'images' 字段", "images")


def test_omni_files_under_one_name_count_once(client: ContractClient) -> None:
    fields = {"prompt": "@image_file moves", "model": "jimeng-video-seedance-2.0", "functionMode": "omni_reference"}
    files = [("image_file", (f"{i}.png", png(32, 32), "image/png")) for i in range(10)]
    response = client.post(f"{BASE}/v1/videos/generations", data=fields, files=files, headers=SESSION)
    assert record(client, submitted(response))["images"] == ["upload:image_file"]


def test_omni_counts_both_spellings_of_file_paths(client: ContractClient) -> None:
    body = {
        "prompt": "x",
        "model": "jimeng-video-seedance-2.0",
        "functionMode": "omni_reference",
        "filePaths": ["https://e.com/1.png"],
        "file_paths": ["https://e.com/2.png"],
    }
    response = client.post(f"{BASE}/v1/videos/generations", json=body, headers=SESSION)
    assert record(client, submitted(response))["images"] == ["https://e.com/1.png", "https://e.com/2.png"]


def test_without_a_configured_admin_key_any_key_passes(client: ContractClient) -> None:
    assert client.get(f"{BASE}/admin/api/tokens", headers={"x-admin-key": "anything"}).status_code == 200
    assert client.get(f"{BASE}/admin/api/tokens", headers={"Authorization": "Bearer other"}).status_code == 200
    denied = client.get(f"{BASE}/admin/api/tokens")
    assert denied.status_code == 401
    assert error_of(denied) == {
        "message": "管理 API Key 无效",
        "type": "authentication_error",
        "param": None,
        "code": "invalid_admin_key",
    }


def test_a_configured_admin_key_is_required() -> None:
    client = make_client(provider_options={"jimeng2api": {"admin_key": "admin-secret"}})
    assert client.get(f"{BASE}/admin/api/tokens", headers=ADMIN).status_code == 200
    assert client.get(f"{BASE}/admin/api/tokens", headers={"Authorization": "Bearer admin-secret"}).status_code == 200
    for headers in ({"x-admin-key": "admin-secreT"}, {"Authorization": "Bearer wrong"}, {}):
        denied = client.get(f"{BASE}/admin/api/api-keys", headers=headers)
        assert (denied.status_code, error_of(denied)["code"], error_of(denied)["message"]) == (
            401,
            "invalid_admin_key",
            "管理 API Key 无效",
        )
    wrong_header_right_bearer = {"x-admin-key": "wrong", "Authorization": "Bearer admin-secret"}
    assert client.get(f"{BASE}/admin/api/tokens", headers=wrong_header_right_bearer).status_code == 401


def test_admin_auth_can_be_disabled() -> None:
    client = make_client(provider_options={"jimeng2api": {"admin_key": "k", "admin_auth_disabled": True}})
    assert client.get(f"{BASE}/admin/api/config").json() == {"admin_auth_disabled": True}
    assert client.get(f"{BASE}/admin/api/tokens").status_code == 200


def test_the_admin_key_option_is_text() -> None:
    assert Settings(provider_options={"jimeng2api": {"admin_key": "k"}}).for_provider("jimeng2api").options == {
        "admin_key": "k"
    }
    with pytest.raises(SettingsError, match="admin_key must be one of any str"):
        Settings(provider_options={"jimeng2api": {"admin_key": 123}})
    with pytest.raises(SettingsError, match="unknown option 'admin_key'"):
        Settings(provider_options={"crazyrouter": {"admin_key": "k"}})
