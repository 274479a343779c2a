"""What jimeng2api keeps per caller is bounded (`max_accounts`, and the length of an admin field): a client that
sends a new session token or creates keys and tokens on every call does not grow the mock without end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.contracts.contract import load_contract
from mockserver.core.randomness import RandomSource
from mockserver.gateways.jimeng2api.accounts import Accounts, parse_token
from mockserver.gateways.jimeng2api.routes.admin import MAX_FIELD_CHARS
from mockserver.server.settings import Settings, SettingsError
from tests.gateways.jimeng2api.helpers import ADMIN, BASE, bearer, error_of, image, submitted
from tests.support import ContractClient, make_client

LIMIT = 3


@pytest.fixture
def bounded() -> Iterator[ContractClient]:
    with make_client(max_accounts=LIMIT) as client:
        yield client


def points(client: ContractClient, token: str) -> int:
    total: int = client.post(f"{BASE}/token/points", headers=bearer(token)).json()[0]["points"]["totalCredit"]
    return total


def test_past_the_limit_the_oldest_credit_account_is_forgotten(bounded: ContractClient) -> None:
    submitted(image(bounded, bearer("first"), prompt="x", resolution="4k"))
    assert points(bounded, "first") == 66 - 2
    for other in ("second", "third"):
        assert points(bounded, other) == 66
    assert points(bounded, "first") == 66 - 2  # still one of the last three
    assert points(bounded, "fourth") == 66
    assert points(bounded, "second") == 66
    assert points(bounded, "first") == 66  # forgotten: seen again, it starts from a day's credits


def test_a_long_session_token_costs_no_more_than_a_short_one() -> None:
    accounts = Accounts(RandomSource(0), limit=LIMIT)
    for session in ("a", "x" * 30_000, "us-" + "y" * 30_000):
        accounts.spend(parse_token(session), 1, now=0.0)
    assert len(accounts.credits) == 3
    assert all(len(repr(key)) < 200 for key in accounts.credits)
    assert accounts.account(parse_token("x" * 30_000), now=0.0).balance == 66 - 1  # the same account again


def test_api_keys_past_the_limit_are_refused_until_one_is_deleted(bounded: ContractClient) -> None:
    created = [bounded.post(f"{BASE}/admin/api/api-keys", json={"name": f"k{n}"}, headers=ADMIN) for n in range(3)]
    assert [response.status_code for response in created] == [200, 200, 200]
    refused = bounded.post(f"{BASE}/admin/api/api-keys", json={"name": "one more"}, headers=ADMIN)
    assert refused.status_code == 400 and "max_accounts" in error_of(refused)["message"]
    key_id = created[0].json()["api_key"]["id"]
    assert bounded.delete(f"{BASE}/admin/api/api-keys/{key_id}", headers=ADMIN).status_code == 200
    assert bounded.post(f"{BASE}/admin/api/api-keys", json={"name": "again"}, headers=ADMIN).status_code == 200


def test_managed_tokens_past_the_limit_are_refused(bounded: ContractClient) -> None:
    created = [  # the mock's default token is the first
        bounded.post(f"{BASE}/admin/api/tokens", json={"name": f"t{n}", "token": f"s{n}"}, headers=ADMIN)
        for n in range(2)
    ]
    assert [response.status_code for response in created] == [200, 200]
    refused = bounded.post(f"{BASE}/admin/api/tokens", json={"name": "t", "token": "s"}, headers=ADMIN)
    assert refused.status_code == 400 and "max_accounts" in error_of(refused)["message"]


@pytest.mark.parametrize(
    ("path", "fields", "param"),
    [
        ("api-keys", {"name": "n" * (MAX_FIELD_CHARS + 1)}, "name"),
        ("tokens", {"name": "n", "token": "t" * (MAX_FIELD_CHARS + 1)}, "token"),
        ("tokens", {"name": "n" * (MAX_FIELD_CHARS + 1), "token": "t"}, "name"),
        ("tokens", {"name": "n", "token": "t", "proxy_url": "http://" + "p" * MAX_FIELD_CHARS}, "proxy_url"),
    ],
)
def test_an_admin_field_past_its_length_is_a_400(
    client: ContractClient, path: str, fields: dict[str, str], param: str
) -> None:
    refused = client.post(f"{BASE}/admin/api/{path}", json=fields, headers=ADMIN)
    assert refused.status_code == 400 and error_of(refused)["param"] == param
    assert str(MAX_FIELD_CHARS) in error_of(refused)["message"]
    at_the_limit = {name: value[:MAX_FIELD_CHARS] for name, value in fields.items()}
    assert client.post(f"{BASE}/admin/api/{path}", json=at_the_limit, headers=ADMIN).status_code == 200


def test_the_contract_states_the_length() -> None:
    schemas = load_contract("jimeng2api").document["components"]["schemas"]["ManagedTokenInput"]["properties"]
    assert {schemas[name]["maxLength"] for name in ("name", "token", "proxy_url")} == {MAX_FIELD_CHARS}


def test_an_update_is_held_to_the_same_length(client: ContractClient) -> None:
    token_id = client.post(f"{BASE}/admin/api/tokens", json={"name": "n", "token": "t"}, headers=ADMIN).json()["id"]
    refused = client.put(f"{BASE}/admin/api/tokens/{token_id}", json={"token": "t" * 5000}, headers=ADMIN)
    assert refused.status_code == 400 and error_of(refused)["param"] == "token"


def test_max_accounts_is_a_setting_of_at_least_one() -> None:
    assert Settings().max_accounts == 10_000
    with pytest.raises(SettingsError, match="max_accounts"):
        Settings(max_accounts=0)
