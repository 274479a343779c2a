"""`/`, `/ping`, `/v1/models`, unknown routes, and the error body of every request-level failure."""

from __future__ import annotations

from collections.abc import Iterator

from mockserver.gateways.jimeng2api.models.catalog import IMAGE_MODELS, VIDEO_MODELS
from tests.gateways.jimeng2api.helpers import BASE, SESSION, error_of, image, video
from tests.support import ContractClient, make_client


def test_index_describes_the_service(client: ContractClient) -> None:
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["service"], body["status"], body["version"]) == ("jimeng2api", "running", "1.0.0")
    assert body["description"] == "将即梦AI网页版转换成API服务"
    assert body["endpoints"] == {
        "images": "/v1/images/generations",
        "compositions": "/v1/images/compositions",
        "videos": "/v1/videos/generations",
        "tasks": "/v1/tasks/{id}",
        "models": "/v1/models",
        "health": "/ping",
    }


def test_ping_is_plain_pong(client: ContractClient) -> None:
    response = client.get(f"{BASE}/ping")
    assert (response.status_code, response.text) == (200, "pong")
    assert response.headers["content-type"].startswith("text/plain")


def test_models_are_the_union_of_every_site_sorted_without_object_list(client: ContractClient) -> None:
    body = client.get(f"{BASE}/v1/models").json()
    assert list(body) == ["data"]
    ids = [model["id"] for model in body["data"]]
    assert ids == sorted(ids)
    every = {name for table in (*IMAGE_MODELS.values(), *VIDEO_MODELS.values()) for name in table}
    assert set(ids) == every and len(ids) == len(every) == 22
    by_id = {model["id"]: model for model in body["data"]}
    assert by_id["jimeng-video-3.0"] == {
        "id": "jimeng-video-3.0",
        "object": "model",
        "owned_by": "jimeng2api",
        "type": "video",
        "regions": ["CN", "US", "HK/JP/SG"],
    }
    assert by_id["nanobanana"]["regions"] == ["US", "HK/JP/SG"]
    assert by_id["jimeng-3.1"]["regions"] == ["CN"]
    assert by_id["jimeng-video-sora2"]["regions"] == ["HK/JP/SG"]
    assert (by_id["jimeng-video-seedance-2.0"]["type"], by_id["jimeng-video-seedance-2.0"]["regions"]) == (
        "video",
        ["CN"],
    )


def test_unknown_route_answers_minus_1002_with_the_path_and_query(client: ContractClient) -> None:
    response = client.post(f"{BASE}/v1/videos?x=1", json={})
    assert response.status_code == 404
    assert error_of(response) == {
        "message": "[请求有误]: 请检查API文档确认正确的请求路径，当前请求为 POST -> /v1/videos?x=1 请纠正",
        "type": "api_error",
        "param": None,
        "code": -1002,
    }


def test_a_wrong_method_is_an_unknown_route(client: ContractClient) -> None:
    response = client.get(f"{BASE}/v1/videos/generations")
    assert response.status_code == 404
    assert error_of(response)["code"] == -1002
    assert "GET -> /v1/videos/generations" in error_of(response)["message"]


def test_served_at_the_root_with_provider() -> None:
    with make_client(root_provider="jimeng2api") as client:
        assert client.get("/ping").text == "pong"
        response = client.post("/v1/images/generations", json={"prompt": "a cat"}, headers=SESSION)
        assert response.status_code == 200
        missing = client.get("/v1/nothing")
        assert "GET -> /v1/nothing 请纠正" in missing.json()["error"]["message"]


def test_missing_authorization_is_a_400_before_the_key_is_checked(client: ContractClient) -> None:
    response = client.post(f"{BASE}/v1/videos/generations", json={"prompt": "a cat"})
    assert response.status_code == 400
    assert error_of(response) == {
        "message": "Params headers.authorization invalid",
        "type": "invalid_request_error",
        "param": "headers.authorization",
        "code": "invalid_request",
    }


def test_body_fields_are_checked_before_the_authorization_header(client: ContractClient) -> None:
    response = client.post(f"{BASE}/v1/videos/generations", json={"model": 3})
    assert error_of(response)["message"] == "Params body.model invalid"


def test_not_a_bearer_credential_is_a_401(client: ContractClient) -> None:
    for header in ("Basic abc", "Bearer ", "token"):
        response = video(client, headers={"Authorization": header}, prompt="a cat")
        assert response.status_code == 401, header
        assert error_of(response) == {
            "message": "缺少 API Key，请使用 Authorization: Bearer <api_key>",
            "type": "authentication_error",
            "param": None,
            "code": "invalid_api_key",
        }


def test_an_unknown_api_key_is_a_401(client: ContractClient) -> None:
    response = image(client, headers={"Authorization": "Bearer jm_not_issued"}, prompt="a cat")
    assert response.status_code == 401
    assert error_of(response)["message"] == "API Key 无效或已被停用"
    assert error_of(response)["code"] == "invalid_api_key"


def test_configured_api_keys_turn_legacy_session_tokens_off() -> None:
    with make_client(api_keys=("sk-ci",)) as client:
        assert image(client, headers={"Authorization": "Bearer sk-ci"}, prompt="a cat").status_code == 200
        refused = image(client, headers={"Authorization": "Bearer some-session"}, prompt="a cat")
        assert refused.status_code == 401
        assert error_of(refused)["message"] == "API Key 无效或已被停用"


def test_sloppy_json_is_repaired(client: ContractClient) -> None:
    sloppy = "\ufeff{prompt: 'a cat', ratio: '16:9',\u00a0}"
    response = client.post(
        f"{BASE}/v1/images/generations",
        content=sloppy.encode(),
        headers=SESSION | {"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


def test_unrepairable_json_is_invalid_json(client: ContractClient) -> None:
    for raw, detail in (("{prompt: ", "Unexpected end of JSON input"), ('{"a": 1} x', "Unexpected token x")):
        response = client.post(
            f"{BASE}/v1/videos/generations",
            content=raw.encode(),
            headers=SESSION | {"content-type": "application/json"},
        )
        assert response.status_code == 400
        error = error_of(response)
        assert (error["code"], error["type"], error["param"]) == ("invalid_json", "invalid_request_error", None)
        assert error["message"].startswith(f"Invalid JSON body: {detail}")


def test_json_that_is_not_an_object_has_no_prompt(client: ContractClient) -> None:
    response = client.post(f"{BASE}/v1/videos/generations", json=[1, 2], headers=SESSION)
    assert error_of(response)["message"] == "Params body.prompt invalid"


def test_a_body_over_100_mib_is_413(client: ContractClient) -> None:
    chunk = b" " * (1024 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(101):
            yield chunk

    response = client.post(
        f"{BASE}/v1/videos/generations", content=body(), headers=SESSION | {"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert error_of(response) == {
        "message": "Request body too large",
        "type": "invalid_request_error",
        "param": None,
        "code": "payload_too_large",
    }


def test_a_broken_multipart_body_is_a_400(client: ContractClient) -> None:
    response = client.post(
        f"{BASE}/v1/videos/generations",
        content=b"--x\r\nno headers here",
        headers=SESSION | {"content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"
