"""Bearer auth in new-api's OpenAI-style error shape, on both endpoints."""

from __future__ import annotations

import pytest

from tests.support import ContractClient, make_client

BODY = {"model": "jimeng-video-3.0", "prompt": "a cat"}


def unauthorized(response: object, message: str) -> None:
    assert getattr(response, "status_code") == 401  # noqa: B009
    error = getattr(response, "json")()["error"]  # noqa: B009
    assert error["type"] == "new_api_error" and error["code"] == ""
    assert error["message"].startswith(f"{message} (request id: ")


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer   "}]
)
def test_missing_key(client: ContractClient, headers: dict[str, str]) -> None:
    unauthorized(client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers=headers), "未提供令牌")
    unauthorized(client.get("/crazyrouter/jimeng/fetch/1", headers=headers), "未提供令牌")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token sk-1", "sk-plain"])
def test_malformed_credentials(client: ContractClient, header: str) -> None:
    unauthorized(
        client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers={"Authorization": header}), "无效的令牌"
    )


def test_any_key_is_accepted_by_default(client: ContractClient) -> None:
    for key in ("sk-anything", "x", "a-very-long-key-" * 8):
        response = client.post(
            "/crazyrouter/jimeng/submit/videos", json=BODY, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200


def test_bearer_scheme_is_case_insensitive(client: ContractClient) -> None:
    response = client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers={"Authorization": "bearer sk-1"})
    assert response.status_code == 200


def test_configured_keys_restrict_the_set() -> None:
    with make_client(api_keys=("sk-good", "sk-other")) as client:
        good = client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers={"Authorization": "Bearer sk-good"})
        assert good.status_code == 200
        task_id = good.json()["id"]
        unauthorized(
            client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers={"Authorization": "Bearer sk-bad"}),
            "无效的令牌",
        )
        unauthorized(
            client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers={"Authorization": "Bearer sk-bad"}), "无效的令牌"
        )
        other = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers={"Authorization": "Bearer sk-other"})
        assert other.status_code == 200


def test_provider_keys_from_the_config_file_override_global_keys() -> None:
    with make_client(api_keys=("sk-global",), provider_options={"crazyrouter": {"api_keys": ["sk-crazy"]}}) as client:
        ok = client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers={"Authorization": "Bearer sk-crazy"})
        assert ok.status_code == 200
        unauthorized(
            client.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers={"Authorization": "Bearer sk-global"}),
            "无效的令牌",
        )


def test_auth_is_checked_before_the_body(client: ContractClient) -> None:
    response = client.post("/crazyrouter/jimeng/submit/videos", content=b"{broken")
    unauthorized(response, "未提供令牌")
