"""The admin API is safe to expose: its token, JSON-only state changes, no percent-encoded alias, credentials
masked in the journal, bounded listings, and `Allow` on a 405."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.cassettes.cassette import REDACTED
from mockserver.server.admin_guard import ADMIN_COOKIE
from mockserver.server.settings import Settings, SettingsError
from mockserver.testing import MockServer
from tests.server.live import live_server
from tests.support import AUTH, ContractClient, make_client, submit

TOKEN = "admin-s3cret"
JSON = {"Content-Type": "application/json"}


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    message: str = error["message"]
    return message


@pytest.fixture
def guarded() -> Any:
    with make_client(admin_token=TOKEN) as client:
        yield client


# the token


def test_without_the_token_every_admin_route_is_refused(guarded: ContractClient) -> None:
    for method, path in [("GET", "/__admin/"), ("GET", "/__admin/journal"), ("GET", "/__admin/openapi.yaml")]:
        response = guarded.request(method, path)
        assert "Authorization: Bearer" in error_of(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    before = guarded.runtime.clock.now()
    error_of(guarded.post("/__admin/clock/advance", json={"seconds": 60}), 401, "unauthorized")
    assert guarded.runtime.clock.now() == before


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Cookie": f"{ADMIN_COOKIE}=wrong"}],
)
def test_a_wrong_token_is_refused(guarded: ContractClient, headers: dict[str, str]) -> None:
    error_of(guarded.get("/__admin/clock", headers=headers), 401, "unauthorized")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {TOKEN}"},
        {"Authorization": f"bearer {TOKEN}"},
        {"Cookie": f"theme=dark; {ADMIN_COOKIE}={TOKEN}"},
    ],
)
def test_the_token_as_bearer_or_cookie_opens_the_admin_api(guarded: ContractClient, headers: dict[str, str]) -> None:
    assert guarded.get("/__admin/clock", headers=headers).status_code == 200
    advanced = guarded.post("/__admin/clock/advance", json={"seconds": 60}, headers=headers)
    assert advanced.status_code == 200, advanced.text


def test_the_gateways_do_not_ask_for_the_admin_token(guarded: ContractClient) -> None:
    assert submit(guarded, prompt="a cat").status_code == 200


def test_the_token_comes_from_flags_env_and_config(tmp_path: Any) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text("admin_token: from-config\n", encoding="utf-8")
    assert Settings.load(config=config, environ={}).admin_token == "from-config"
    assert Settings.load(environ={"JIMENG_MOCK_ADMIN_TOKEN": "from-env"}).admin_token == "from-env"
    assert Settings.load({"admin_token": "flag"}, {"JIMENG_MOCK_ADMIN_TOKEN": "env"}).admin_token == "flag"


# binding beyond loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "mock.internal"])
def test_an_open_admin_api_beyond_loopback_is_refused_in_one_line(host: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings(host=host)
    message = str(raised.value)
    assert "\n" not in message
    assert host in message and "--admin-token" in message and "--allow-open-admin" in message


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    assert Settings(host=host).admin_token is None


def test_beyond_loopback_with_a_token_or_the_explicit_choice() -> None:
    assert Settings(host="0.0.0.0", admin_token=TOKEN).host == "0.0.0.0"
    assert Settings.load(environ={"JIMENG_MOCK_HOST": "0.0.0.0", "JIMENG_MOCK_ALLOW_OPEN_ADMIN": "1"}).host


def test_serve_refuses_to_start_on_every_address_without_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    from mockserver.cli.main import main

    assert main(["serve", "--host", "0.0.0.0", "--port", "8999"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith("jimeng-mock: refusing to serve the admin API on 0.0.0.0 without a token")


# cross-site requests


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_state_change_needs_a_json_content_type(client: ContractClient, content_type: str | None) -> None:
    before = client.runtime.clock.now()
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.post("/__admin/clock/advance", content=b'{"seconds": 60}', headers=headers)
    assert "Content-Type: application/json" in error_of(response, 415, "unsupported_media_type")
    assert client.runtime.clock.now() == before
    error_of(client.post("/__admin/reset", headers=headers), 415, "unsupported_media_type")


@pytest.mark.parametrize("path", ["/__admin/session", "/__admin/reset", "/__admin/clock/freeze", "/__admin/clock/next"])
def test_an_empty_json_body_is_an_empty_object(client: ContractClient, path: str) -> None:
    """What `curl -X POST -H 'Content-Type: application/json' URL` sends to a route that takes no fields."""
    submit(client, prompt="a cat")  # a task ahead, for clock/next to move to
    assert client.post(path, content=b"", headers=JSON).status_code == 200
    advanced = client.post("/__admin/clock/advance", content=b"", headers=JSON)
    assert error_of(advanced, 400, "bad_request") == 'send {"seconds": <number>}'


def test_json_with_a_charset_is_json(client: ContractClient) -> None:
    headers = {"Content-Type": "Application/JSON; charset=utf-8"}
    assert client.post("/__admin/clock/advance", content=b'{"seconds": 1}', headers=headers).status_code == 200


# the percent-encoded alias


@pytest.mark.parametrize("path", ["/%5f%5fadmin/clock", "/%5F%5Fadmin/journal", "/_%5Fadmin/", "/__%61dmin/clock"])
def test_the_admin_prefix_must_be_spelled_out(path: str) -> None:
    with live_server() as (url, _):
        response = httpx.get(url + path)
        assert response.status_code == 404, response.text
        assert httpx.get(url + "/__admin/clock").status_code == 200
        posted = httpx.post(url + path.replace("clock", "reset"), json={})
        assert posted.status_code == 404


# the journal shows no credentials


def test_the_journal_masks_credentials_as_the_cassette_does(client: ContractClient) -> None:
    submit(client, prompt="a cat", api_key="sk-body-secret")
    entries = client.get("/__admin/journal").json()["entries"]
    shown = str(entries)
    assert "sk-test" not in shown and "sk-body-secret" not in shown
    (entry,) = entries
    assert entry["request_headers"]["authorization"] == REDACTED
    assert '"api_key":"***"' in entry["request_body"]
    cassette = client.get("/__admin/cassette").json()["interactions"][0]["request"]
    assert cassette["headers"]["authorization"] == entry["request_headers"]["authorization"]
    assert AUTH["Authorization"] in str(client.runtime.journal.entries()[0].request_headers)  # in-process: whole


def test_a_key_sent_in_the_query_is_masked_in_the_journal_its_search_and_the_cassette(client: ContractClient) -> None:
    polled = client.get("/crazyrouter/jimeng/fetch/1?key=sk-query-secret&api_key=sk-other", headers=AUTH)
    assert polled.status_code < 500
    (entry,) = client.get("/__admin/journal").json()["entries"]
    assert entry["query"] == "key=***&api_key=***"
    assert client.get("/__admin/journal", params={"q": "sk-query"}).json()["entries"] == []
    assert client.get("/__admin/journal", params={"q": "key=***"}).json()["total"] == 1
    (interaction,) = client.get("/__admin/cassette").json()["interactions"]
    assert interaction["request"]["query"] == "key=***&api_key=***"
    assert "sk-query-secret" not in client.get(f"/__admin/journal/{entry['seq']}").text


# bounded listings


@pytest.mark.parametrize("limit", ["100000000", "1001", "0", "-1", "\u00b2", "\u0661", "1" * 5000, "1.5", "", "%20"])
@pytest.mark.parametrize("path", ["/__admin/tasks", "/__admin/journal"])
def test_a_limit_beyond_the_page_cap_or_not_ascii_digits_is_a_400(
    client: ContractClient, path: str, limit: str
) -> None:
    error_of(client.get(path, params={"limit": limit}), 400, "bad_request")


def test_the_page_cap_is_a_setting() -> None:
    with make_client(admin_page_max=3) as client:
        for number in range(5):
            submit(client, prompt=f"cat {number}")
        error_of(client.get("/__admin/tasks", params={"limit": "4"}), 400, "bad_request")
        page = client.get("/__admin/tasks").json()
        assert (len(page["tasks"]), page["total"]) == (3, 5)


def test_listings_page_back_from_the_newest(client: ContractClient) -> None:
    ids = [submit(client, prompt=f"cat {number}").json()["id"] for number in range(5)]

    def page(path: str, key: str, field: str, **params: int) -> tuple[list[Any], int]:
        body = client.get(path, params=params).json()
        return [item[field] for item in body[key]], body["total"]

    assert page("/__admin/tasks", "tasks", "id", limit=2) == (ids[3:], 5)
    assert page("/__admin/tasks", "tasks", "id", limit=2, offset=2) == (ids[1:3], 5)
    assert page("/__admin/tasks", "tasks", "id", limit=2, offset=4) == (ids[:1], 5)
    assert page("/__admin/tasks", "tasks", "id", limit=2, offset=9) == ([], 5)
    assert page("/__admin/journal", "entries", "task_id", limit=2, offset=1) == (ids[2:4], 5)


# Allow on 405


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("PUT", "/__admin/journal", {"GET", "HEAD", "DELETE"}), ("DELETE", "/__admin/scenarios", {"GET", "HEAD", "POST"})],
)
def test_a_405_says_which_methods_are_allowed(
    client: ContractClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path, json={})
    error_of(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].split(", ")) == allowed


# the Python API and the pytest plugin


def test_mock_server_takes_the_token_and_hands_it_to_admin_calls() -> None:
    with MockServer(providers=["crazyrouter"], admin_token=TOKEN) as mock:
        assert mock.admin_headers == {"Authorization": f"Bearer {TOKEN}"}
        with mock.client() as http:
            assert http.get("/__admin/clock").status_code == 401
            advanced = http.post("/__admin/clock/advance", json={"seconds": 5}, headers=mock.admin_headers)
            assert advanced.status_code == 200
        mock.clock.advance(5)  # in-process: no token needed
        assert mock.clock.now() == advanced.json()["now"] + 5
    with MockServer(providers=["crazyrouter"]) as mock:
        assert mock.admin_headers == {}


@pytest.mark.parametrize(
    ("host", "answered"),
    [
        ("127.0.0.1:8000", True),
        ("localhost", True),
        ("LOCALHOST:8000", True),
        ("app.localhost:8000", True),
        ("[::1]:8000", True),
        ("::1", True),
        ("127.8.9.10", True),
        ("rebind.example.com:8000", False),  # a page's own name resolved to 127.0.0.1 (DNS rebinding)
        ("10.0.0.5:8000", False),
        ("127.0.0.1.nip.io", False),
        ("[::ffff:7f00:1]:8000", False),
    ],
)
def test_without_a_token_only_a_loopback_name_reaches_the_admin_api(host: str, answered: bool) -> None:
    client = make_client()
    answer = client.get("/__admin/clock", headers={"Host": host})
    assert answer.status_code == (200 if answered else 403), answer.text
    if not answered:
        assert answer.json()["error"]["code"] == "forbidden_host"
        assert client.post("/__admin/reset", json={}, headers={"Host": host}).status_code == 403
    assert client.get("/crazyrouter/jimeng/fetch/1", headers={"Host": host, **AUTH}).status_code != 403  # gateways


def test_with_a_token_or_an_open_admin_any_name_reaches_it() -> None:
    host = {"Host": "rebind.example.com"}
    assert make_client(admin_token="t").get("/__admin/clock", headers={**host, "Authorization": "Bearer t"}).is_success
    assert make_client(host="0.0.0.0", allow_open_admin=True).get("/__admin/clock", headers=host).is_success
