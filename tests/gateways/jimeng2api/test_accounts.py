"""Session tokens (regions, proxies, several per header), credits, the legacy token routes, managed mode."""

from __future__ import annotations

import pytest

from mockserver.gateways.jimeng2api.accounts import parse_token
from tests.gateways.jimeng2api.helpers import ADMIN, BASE, bearer, error_of, image, record, run_to_end, submitted, video
from tests.support import ContractClient


@pytest.mark.parametrize(
    ("raw", "session", "region", "proxy"),
    [
        ("session_id_xxx", "session_id_xxx", "cn", None),
        ("us-session_id_xxx", "session_id_xxx", "us", None),
        ("HK-abc", "abc", "hk", None),
        ("socks5://127.0.0.1:1080@session_id_xxx", "session_id_xxx", "cn", "socks5://127.0.0.1:1080"),
        ("http://127.0.0.1:7890@us-session_id_xxx", "session_id_xxx", "us", "http://127.0.0.1:7890"),
        (
            "http://user:pass@proxy.com:8080@hk-session_id_xxx",
            "session_id_xxx",
            "hk",
            "http://user:pass@proxy.com:8080",
        ),
        ("socks4://h:1@sg-x", "x", "sg", "socks4://h:1"),
    ],
)
def test_token_format(raw: str, session: str, region: str, proxy: str | None) -> None:
    token = parse_token(raw)
    assert (token.session_id, token.region, token.proxy) == (session, region, proxy)


def test_token_check(client: ContractClient) -> None:
    assert client.post(f"{BASE}/token/check", json={"token": "us-abc"}).json() == {"live": True}
    assert client.post(f"{BASE}/token/check", json={"token": "expired-abc"}).json() == {"live": False}
    response = client.post(f"{BASE}/token/check", json={"token": 5})
    assert (response.status_code, error_of(response)["message"]) == (400, "Params body.token invalid")


def test_token_points_for_several_tokens(client: ContractClient) -> None:
    response = client.post(f"{BASE}/token/points", headers=bearer("us-a,socks5://1.2.3.4:1080@hk-b,c"))
    assert response.json() == [
        {"token": "us-a", "points": {"giftCredit": 150, "purchaseCredit": 0, "vipCredit": 0, "totalCredit": 150}},
        {
            "token": "socks5://1.2.3.4:1080@hk-b",
            "points": {"giftCredit": 150, "purchaseCredit": 0, "vipCredit": 0, "totalCredit": 150},
        },
        {"token": "c", "points": {"giftCredit": 66, "purchaseCredit": 0, "vipCredit": 0, "totalCredit": 66}},
    ]
    assert error_of(client.post(f"{BASE}/token/points"))["param"] == "headers.authorization"
    logged_out = client.post(f"{BASE}/token/points", headers=bearer("a,expired-b"))
    assert logged_out.status_code == 401 and error_of(logged_out)["message"].startswith("[登录失效]")


def points(client: ContractClient, token: str) -> int:
    total: int = client.post(f"{BASE}/token/points", headers=bearer(token)).json()[0]["points"]["totalCredit"]
    return total


def test_generation_spends_credits(client: ContractClient) -> None:
    submitted(image(client, bearer("acct"), prompt="x"))
    submitted(image(client, bearer("acct"), prompt="x", resolution="4k"))
    submitted(video(client, bearer("acct"), model="jimeng-video-3.0", prompt="x", duration=10))
    assert points(client, "acct") == 66 - 1 - 2 - 20


def test_credits_run_out_and_come_back_the_next_day(client: ContractClient) -> None:
    clock = client.runtime.clock
    headers = bearer("acct")
    for _ in range(3):
        assert (
            run_to_end(
                client, submitted(video(client, headers, model="jimeng-video-3.0", prompt="x", duration=10)), headers
            )["status"]
            == "succeeded"
        )
    assert points(client, "acct") == 6
    failed = run_to_end(
        client, submitted(video(client, headers, model="jimeng-video-3.0", prompt="x", duration=10)), headers
    )
    assert failed["error"] == {"message": "[积分不足]: credit prededuct not enough", "type": "api_error", "code": -2009}
    # /token/receive only claims for an empty balance
    receipt = client.post(f"{BASE}/token/receive", headers=headers).json()
    assert receipt == [
        {
            "token": "acct",
            "credits": {"giftCredit": 6, "purchaseCredit": 0, "vipCredit": 0, "totalCredit": 6},
            "received": False,
        }
    ]
    for _ in range(3):
        submitted(image(client, headers, prompt="x", resolution="4k"))
    assert points(client, "acct") == 0
    assert client.post(f"{BASE}/token/receive", headers=headers).json()[0]["received"] is False  # already claimed today
    clock.advance(86400)
    receipt = client.post(f"{BASE}/token/receive", headers=headers).json()[0]
    assert (receipt["received"], receipt["credits"]["totalCredit"]) == (True, 66)
    assert client.post(f"{BASE}/token/receive", headers=headers).json()[0]["received"] is False


def test_an_empty_balance_receives_the_daily_credits_automatically(client: ContractClient) -> None:
    headers = bearer("auto")
    for _ in range(33):
        submitted(image(client, headers, prompt="x", resolution="4k"))
    assert points(client, "auto") == 0
    client.runtime.clock.advance(86400)
    assert run_to_end(client, submitted(image(client, headers, prompt="x")), headers)["status"] == "succeeded"
    assert points(client, "auto") == 65


def test_token_receive_reports_a_logged_out_token(client: ContractClient) -> None:
    answer = client.post(f"{BASE}/token/receive", headers=bearer("expired-x,y")).json()
    assert answer[0]["received"] is False and answer[0]["error"].startswith("[登录失效]")
    assert "error" not in answer[1]


def test_a_logged_out_session_fails_the_task(client: ContractClient) -> None:
    failed = run_to_end(client, submitted(image(client, bearer("expired-1"), prompt="x")), bearer("expired-1"))
    assert failed["error"]["code"] == -2002


def test_one_of_several_session_tokens_serves_each_task(client: ContractClient) -> None:
    regions = {record(client, submitted(video(client, bearer("us-a,hk-b"), prompt="x")))["region"] for _ in range(12)}
    assert regions == {"us", "hk"}


# -- managed mode ------------------------------------------------------------------------------


def issue_key(client: ContractClient) -> str:
    response = client.post(f"{BASE}/admin/api/api-keys", json={"name": "ci"}, headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body["secret"].startswith("jm_") and body["api_key"]["status"] == "active"
    secret: str = body["secret"]
    return secret


def test_managed_tokens_are_used_round_robin(client: ContractClient) -> None:
    secret = issue_key(client)
    default = client.get(f"{BASE}/admin/api/tokens", headers=ADMIN).json()["data"][0]
    second = client.post(
        f"{BASE}/admin/api/tokens", json={"name": "us", "token": "t2", "region": "us", "sort_order": 1}, headers=ADMIN
    ).json()
    assert (second["region"], second["status"], "token" in second) == ("us", "unchecked", False)
    tokens = [video(client, bearer(secret), prompt="x").json()["token_id"] for _ in range(4)]
    assert tokens == [default["id"], second["id"], default["id"], second["id"]]
    listed = client.get(f"{BASE}/admin/api/api-keys", headers=ADMIN).json()["data"]
    assert listed[0]["last_used_at"] is not None and "jm_" in listed[0]["api_key"] and listed[0]["api_key"] != secret


def test_no_healthy_managed_token_is_a_200_error(client: ContractClient) -> None:
    secret = issue_key(client)
    for token in client.get(f"{BASE}/admin/api/tokens", headers=ADMIN).json()["data"]:
        assert client.delete(f"{BASE}/admin/api/tokens/{token['id']}", headers=ADMIN).json() == {"deleted": True}
    response = image(client, bearer(secret), prompt="x")
    assert response.status_code == 200
    assert error_of(response) == {
        "message": "No healthy managed tokens available",
        "type": "api_error",
        "param": None,
        "code": "internal_error",
    }


def test_a_lone_managed_token_serves_only_while_usable(client: ContractClient) -> None:
    secret = issue_key(client)
    (only,) = client.get(f"{BASE}/admin/api/tokens", headers=ADMIN).json()["data"]
    for status, served in (("disabled", False), ("unhealthy", False), ("healthy", True), ("unchecked", True)):
        client.put(f"{BASE}/admin/api/tokens/{only['id']}", json={"status": status}, headers=ADMIN)
        response = video(client, bearer(secret), prompt="x")
        assert response.status_code == 200
        if served:
            assert response.json()["token_id"] == only["id"], status
        else:
            assert error_of(response)["message"] == "No healthy managed tokens available", status


def test_an_expired_managed_token_is_retried_once_with_the_next(client: ContractClient) -> None:
    secret = issue_key(client)
    default = client.get(f"{BASE}/admin/api/tokens", headers=ADMIN).json()["data"][0]
    client.put(f"{BASE}/admin/api/tokens/{default['id']}", json={"token": "expired-1"}, headers=ADMIN)
    good = client.post(
        f"{BASE}/admin/api/tokens", json={"name": "b", "token": "t2", "sort_order": 5}, headers=ADMIN
    ).json()
    body = image(client, bearer(secret), prompt="x").json()
    assert body["token_id"] == good["id"]


def test_admin_errors(client: ContractClient) -> None:
    assert client.get(f"{BASE}/admin/api/config").json() == {"admin_auth_disabled": False}
    denied = client.get(f"{BASE}/admin/api/tokens")
    assert (denied.status_code, error_of(denied)["code"]) == (401, "invalid_admin_key")
    bad_region = client.post(
        f"{BASE}/admin/api/tokens", json={"name": "a", "token": "b", "region": "eu"}, headers=ADMIN
    )
    assert error_of(bad_region)["message"] == "region 必须是 cn/us/hk/jp/sg 之一"
    assert client.delete(f"{BASE}/admin/api/tokens/nope", headers=ADMIN).status_code == 404
    assert client.delete(f"{BASE}/admin/api/api-keys/nope", headers=ADMIN).status_code == 404
    assert error_of(client.post(f"{BASE}/admin/api/api-keys", json={}, headers=ADMIN))["param"] == "body.name"


def test_a_deleted_api_key_stops_working(client: ContractClient) -> None:
    secret = issue_key(client)
    key_id = client.get(f"{BASE}/admin/api/api-keys", headers=ADMIN).json()["data"][0]["id"]
    assert client.delete(f"{BASE}/admin/api/api-keys/{key_id}", headers=ADMIN).status_code == 200
    assert error_of(image(client, bearer(secret), prompt="x"))["message"] == "API Key 无效或已被停用"


def test_admin_task_list_and_alerts(client: ContractClient) -> None:
    first = submitted(image(client, prompt="x"))
    second = submitted(image(client, prompt="y"))
    listed = client.get(f"{BASE}/admin/api/tasks", headers=ADMIN).json()["data"]
    assert [t["id"] for t in listed] == [second, first]
    assert client.get(f"{BASE}/admin/api/alerts", headers=ADMIN).json() == {"data": []}


def test_reset_restores_a_clean_state(client: ContractClient) -> None:
    issue_key(client)
    submitted(image(client, bearer("r"), prompt="x", resolution="4k"))
    client.post("/__admin/reset", json={})
    assert client.get(f"{BASE}/admin/api/api-keys", headers=ADMIN).json() == {"data": []}
    assert points(client, "r") == 66


def test_a_keys_last_use_is_the_mock_clock_of_its_latest_call(client: ContractClient) -> None:
    secret = issue_key(client)

    def last_used() -> object:
        return client.get(f"{BASE}/admin/api/api-keys", headers=ADMIN).json()["data"][0]["last_used_at"]

    assert last_used() is None
    client.runtime.clock.advance(61.25)
    video(client, bearer(secret), prompt="x")
    assert last_used() == "2026-01-01T00:01:01.250Z"


def test_every_task_past_the_credits_fails_on_its_own_and_other_accounts_still_succeed(
    client: ContractClient,
) -> None:
    broke, fresh = bearer("broke"), bearer("fresh")
    for _ in range(3):
        run_to_end(client, submitted(video(client, broke, prompt="x", duration=10)), broke)
    failed = [
        submitted(video(client, broke, prompt="x", duration=10)),
        submitted(video(client, broke, prompt="y", duration=10)),
        submitted(video(client, broke, prompt="z", duration=10)),
    ]
    answers = [run_to_end(client, task_id, broke) for task_id in failed]
    assert len({answer["id"] for answer in answers}) == 3
    for answer in answers:
        assert answer["status"] == "failed"
        assert answer["error"] == {
            "message": "[积分不足]: credit prededuct not enough",
            "type": "api_error",
            "code": -2009,
        }
    assert run_to_end(client, submitted(video(client, fresh, prompt="x", duration=10)), fresh)["status"] == "succeeded"
    assert client.get(f"{BASE}/v1/tasks/{failed[0]}", headers=broke).json()["error"]["code"] == -2009


@pytest.mark.parametrize(
    "fields",
    [{"name": False}, {"name": None}, {"name": ""}, {"name": "   "}, {"name": 7}, {"token": ["t"]}, {"token": ""}],
)
def test_a_token_update_is_held_to_what_a_create_is(client: ContractClient, fields: dict[str, object]) -> None:
    (token,) = client.get(f"{BASE}/admin/api/tokens", headers=ADMIN).json()["data"]
    response = client.put(f"{BASE}/admin/api/tokens/{token['id']}", json=fields, headers=ADMIN)
    assert response.status_code == 400
    (field,) = fields
    assert response.json()["error"]["message"] == f"Params body.{field} invalid"
    assert client.get(f"{BASE}/admin/api/tokens", headers=ADMIN).json()["data"] == [token]  # the listing stays whole
    renamed = client.put(f"{BASE}/admin/api/tokens/{token['id']}", json={"name": "main"}, headers=ADMIN).json()
    assert renamed["name"] == "main"


def test_a_created_keys_secret_is_masked_wherever_the_journal_is_shown(client: ContractClient) -> None:
    secret = issue_key(client)
    entries = client.get("/__admin/journal", params={"path": "/admin/api/api-keys"}).json()["entries"]
    assert entries and secret not in entries[-1]["response_body"]
    assert '"secret":"***"' in entries[-1]["response_body"]
    assert client.get("/__admin/journal", params={"q": secret[:8]}).json()["entries"] == []  # not searchable either
    assert secret.encode() not in client.get("/__admin/cassette").content
