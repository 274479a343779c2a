"""Bearer auth on every route; failures are 401 with 50400 Access Denied in the Volcengine envelope."""

from __future__ import annotations

import httpx2
import pytest

from tests.gateways.gptge.helpers import BASE, I2V, T2V, task_id_of
from tests.support import ContractClient, make_client

BODY = {"prompt": "a cat", "image_urls": ["https://example.com/a.png"]}


def denied(response: httpx2.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == body["status"] == 50400 and body["data"] is None
    assert body["message"] == f"Access Denied: {reason}"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer   "}]
)
def test_missing_token_on_every_route(client: ContractClient, headers: dict[str, str]) -> None:
    reason = "send Authorization: Bearer <token>"
    denied(client.post(T2V, json=BODY, headers=headers), reason)
    denied(client.post(I2V, json=BODY, headers=headers), reason)
    denied(client.get(f"{BASE}/task/1", headers=headers), reason)


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Token sk-1", "sk-plain"])
def test_credentials_that_are_not_bearer_tokens(client: ContractClient, header: str) -> None:
    denied(
        client.post(T2V, json=BODY, headers={"Authorization": header}), "the Authorization header is not a Bearer token"
    )


def test_any_token_is_accepted_by_default_and_the_scheme_is_case_insensitive(client: ContractClient) -> None:
    for header in ("Bearer sk-anything", "bearer x", "BEARER " + "k" * 100):
        assert client.post(T2V, json=BODY, headers={"Authorization": header}).status_code == 200


def test_configured_tokens_restrict_the_set() -> None:
    with make_client(api_keys=("sk-good",)) as client:
        task_id = task_id_of(client.post(T2V, json=BODY, headers={"Authorization": "Bearer sk-good"}))
        denied(client.post(I2V, json=BODY, headers={"Authorization": "Bearer sk-bad"}), "invalid token")
        denied(client.get(f"{BASE}/task/{task_id}", headers={"Authorization": "Bearer sk-bad"}), "invalid token")
        assert client.get(f"{BASE}/task/{task_id}", headers={"Authorization": "Bearer sk-good"}).status_code == 200


def test_auth_is_checked_before_the_body(client: ContractClient) -> None:
    denied(client.post(T2V, content=b"{broken"), "send Authorization: Bearer <token>")


def test_unknown_routes_answer_404_even_without_a_token(client: ContractClient) -> None:
    assert client.get(f"{BASE}/nope").status_code == 404
