"""What the dashboard asks of the admin API: the next state change, a task's timeline, the journal's filters,
one entry with its nearest requests, a filtered cassette, scenario documents, the browser session, the pages."""

from __future__ import annotations

import random
import string
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.server.admin_guard import ADMIN_COOKIE
from mockserver.server.exchange import Exchange
from mockserver.server.journal import Journal
from tests.support import AUTH, ContractClient, fetch, make_client, submit


def task_of(client: ContractClient, **headers: str) -> str:
    answer = client.post(
        "/crazyrouter/jimeng/submit/videos",
        json={"model": "jimeng-video-3.0", "prompt": "a cat"},
        headers=AUTH | headers,
    )
    assert answer.status_code == 200, answer.text
    task_id: str = answer.json()["id"]
    return task_id


def timeline(client: ContractClient, task_id: str) -> dict[str, Any]:
    answer = client.get(f"/__admin/tasks/{task_id}/timeline")
    assert answer.status_code == 200, answer.text
    story: dict[str, Any] = answer.json()
    return story


def test_next_change_moves_the_clock_just_past_the_soonest_step_end_of_any_task(client: ContractClient) -> None:
    first = task_of(client)
    client.runtime.clock.advance(5)
    second = task_of(client)
    ends = {
        task_id: [client.runtime.engine.peek(task_id).task.created_at + p.until_seconds  # type: ignore[union-attr,operator]
                  for p in client.runtime.engine.peek(task_id).task.schedule.phases]  # type: ignore[union-attr]
        for task_id in (first, second)
    }  # fmt: skip
    changes = sorted((when, task_id) for task_id, times in ends.items() for when in times)
    for when, task_id in changes:
        moved = client.post("/__admin/clock/next", json={}).json()
        assert moved["task"] == task_id and moved["from"] != moved["to"]
        assert when < moved["clock"]["now"] <= when + 0.002
    refused = client.post("/__admin/clock/next", json={})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_change_ahead"
    assert {fetch(client, t)["status"] for t in (first, second)} == {"succeeded"}


def test_next_change_passes_over_a_task_that_waits_for_polls_or_forever(client: ContractClient) -> None:
    task_of(client, **{"X-Mock-Scenario": "poll_driven"})
    task_of(client, **{"X-Mock-Scenario": "stuck_queue"})
    before = client.get("/__admin/clock").json()["now"]
    assert client.post("/__admin/clock/next", json={}).status_code == 409
    assert client.get("/__admin/clock").json()["now"] == before


def test_a_timeline_puts_the_schedule_on_the_clock_and_marks_now(client: ContractClient) -> None:
    task_id = task_of(client)
    view = client.runtime.engine.peek(task_id)
    assert view is not None
    story = timeline(client, task_id)
    phases = view.task.schedule.phases
    assert [s["state"] for s in story["steps"]] == [p.state for p in phases] == ["queued", "processing"]
    assert [s["ends_at"] for s in story["steps"]] == [view.task.created_at + p.until_seconds for p in phases]  # type: ignore[operator]
    assert story["steps"][1]["starts_at"] == story["steps"][0]["ends_at"]
    assert [s["current"] for s in story["steps"]] == [True, False]
    assert story["outcome"] | {"at": None} == {
        "state": "succeeded", "error": None, "failed": False, "at_progress": None, "reached": False, "at": None
    }  # fmt: skip
    assert story["outcome"]["at"] == story["steps"][-1]["ends_at"]
    assert story["script"] == [] and story["media"] == []
    assert [(x["method"], x["status"]) for x in story["exchanges"]] == [("POST", 200)]
    assert story["exchanges"][0]["request_body"] == '{"model":"jimeng-video-3.0","prompt":"a cat"}'


def test_a_timeline_shows_the_failure_point_and_the_scripted_faults(client: ContractClient) -> None:
    failing = task_of(client, **{"X-Mock-Scenario": "moderation_fail"})
    outcome = timeline(client, failing)["outcome"]
    assert outcome["failed"] and outcome["state"] == "failed" and outcome["at_progress"] == 80
    assert timeline(client, failing)["script"] == ["fails with output_moderation at 80%"]
    third = task_of(client, **{"X-Mock-Scenario": "third_poll_503"})
    assert timeline(client, third)["script"] == ["poll 3: 503"]
    flaky = task_of(client, **{"X-Mock-Scenario": "flaky_polls"})
    assert timeline(client, flaky)["script"] == ["polls 1 on: 502 upstream_unavailable (p 0.2)"]


def test_a_timeline_names_the_result_file_the_client_was_given_with_its_expiry(client: ContractClient) -> None:
    task_id = task_of(client, **{"X-Mock-Scenario": "url_expires_early"})
    client.runtime.clock.advance(3600)
    url = fetch(client, task_id)["url"]
    story = timeline(client, task_id)
    finished = client.runtime.engine.peek(task_id).task.finished_at  # type: ignore[union-attr]
    assert story["media"] == [{"url": url, "kind": "video", "expires": int(finished) + 60}]  # type: ignore[arg-type]
    assert parse_qs(urlsplit(url).query)["expires"] == [str(int(finished) + 60)]  # type: ignore[arg-type]
    assert story["outcome"]["reached"] and [s["current"] for s in story["steps"]] == [False, False]
    assert url in story["exchanges"][-1]["response_body"]  # the answer the client was given
    assert client.get("/__admin/tasks/nope/timeline").status_code == 404


def test_every_admin_answer_says_what_it_cost_the_mock(client: ContractClient) -> None:
    for answer in (client.get("/__admin/"), client.get("/__admin/nowhere"), client.get("/__admin/ui/")):
        timing = answer.headers["server-timing"]
        assert timing.startswith("app;dur=") and float(timing.removeprefix("app;dur=")) > 0


def test_tasks_filter_by_scenario(client: ContractClient) -> None:
    stuck = task_of(client, **{"X-Mock-Scenario": "stuck_queue"})
    task_of(client)
    listed = client.get("/__admin/tasks", params={"scenario": "stuck_queue"}).json()
    assert [t["id"] for t in listed["tasks"]] == [stuck] and listed["total"] == 1


def test_the_index_counts_tasks_by_gateway_and_state_and_names_the_default_scenario(client: ContractClient) -> None:
    task_of(client)
    task_of(client, **{"X-Mock-Scenario": "instant"})
    client.runtime.clock.advance(0.001)
    index = client.get("/__admin/").json()
    assert index["counts"]["crazyrouter"] == {"queued": 1, "succeeded": 1}
    assert index["counts"]["gptge"] == {} and index["default_scenario"] == "default"
    assert index["dashboard"] == "/__admin/ui"


def journal(client: ContractClient, **query: Any) -> list[dict[str, Any]]:
    answer = client.get("/__admin/journal", params=query)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


def test_the_journal_filters_by_status_search_and_cursor(client: ContractClient) -> None:
    task_id = task_of(client)
    fetch(client, task_id)
    client.get(f"/crazyrouter/jimeng/fetc/{task_id}", headers=AUTH)
    client.get("/nowhere")
    submit(client, prompt="A Second Cat")
    assert [e["status"] for e in journal(client, status="4xx")] == [404, 404]
    unmatched = [f"/crazyrouter/jimeng/fetc/{task_id}", "/nowhere"]
    assert [e["path"] for e in journal(client, status="unmatched")] == unmatched
    assert all(e["unmatched"] == (e["status"] == 404) for e in journal(client))
    assert [e["seq"] for e in journal(client, status="200")] == [1, 2, 5]
    assert [e["seq"] for e in journal(client, q="second cat")] == [5]
    assert [e["seq"] for e in journal(client, q=task_id[-6:])] == [1, 2, 3]
    assert [e["seq"] for e in journal(client, after=3)] == [4, 5]
    assert [e["seq"] for e in journal(client, after=3, status="unmatched")] == [4]
    for bad in ({"status": "45"}, {"status": "6xx"}, {"after": "-1"}, {"after": "x"}):
        refused = client.get("/__admin/journal", params=bad)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_request"


def test_an_unmatched_entry_comes_with_the_answered_requests_nearest_to_it(client: ContractClient) -> None:
    task_id = task_of(client)
    fetch(client, task_id)
    fetch(client, task_id)
    client.get(f"/crazyrouter/jimeng/fetc/{task_id}", headers=AUTH)
    entry = client.get("/__admin/journal/4").json()
    assert entry["unmatched"] and entry["request_headers"]["authorization"] == "***"
    assert entry["nearest"][0] == {
        "request": f"GET /crazyrouter/jimeng/fetch/{task_id} -> 200 (crazyrouter)", "times": 2, "seq": 2
    }  # fmt: skip
    assert [n["request"].split()[0] for n in entry["nearest"]] == ["GET", "POST"]
    assert client.get("/__admin/journal/2").json()["nearest"] == []
    assert client.get("/__admin/journal/99").status_code == 404
    assert client.get("/__admin/journal/two").status_code == 400


def test_the_cassette_holds_only_the_entries_the_filters_select(client: ContractClient) -> None:
    task_id = task_of(client)
    fetch(client, task_id)
    submit(client, prompt="a dog")
    everything = client.get("/__admin/cassette").json()["interactions"]
    polls = client.get("/__admin/cassette", params={"method": "GET", "task": task_id}).json()["interactions"]
    dogs = client.get("/__admin/cassette", params={"q": "a dog"}).json()["interactions"]
    assert len(everything) == 3 and [i["request"]["method"] for i in polls] == ["GET"]
    assert [i["request"]["body"] for i in dogs] == [{"text": '{"prompt":"a dog","model":"jimeng-video-3.0"}'}]
    assert client.get("/__admin/cassette", params={"status": "bad"}).status_code == 400


def test_a_scenario_shows_its_document_and_a_bad_one_its_line(client: ContractClient) -> None:
    third = client.get("/__admin/scenarios/third_poll_503").json()
    assert third["yaml"] == "description: The third poll answers 503; every other poll is normal.\npolls:\n" \
        "  - {nth: 3, status: 503}\n"  # fmt: skip
    assert client.get("/__admin/scenarios/default").json()["yaml"].startswith("description: ")
    bad = {"name": "slow", "yaml": "description: Slow.\ntimings:\n  queued: soon\n"}
    error = client.post("/__admin/scenarios", json=bad).json()["error"]
    assert error["code"] == "bad_scenario" and error["line"] == 3 and error["message"].startswith("line 3: ")
    good = {"name": "slow", "yaml": "description: Slow.\ntimings:\n  queued: 600\n"}
    assert client.post("/__admin/scenarios", json=good).status_code == 201
    assert client.get("/__admin/scenarios/slow").json()["yaml"] == good["yaml"]


def test_a_browser_trades_the_token_for_a_cookie_once() -> None:
    with make_client(admin_token="s3cret") as client:
        page = client.get("/__admin/ui/", headers={"Accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
        assert "admin token" in page.text and "/__admin/session" in page.text
        api = client.get("/__admin/clock", headers={"Accept": "text/html"})  # an API call is never a page
        assert api.status_code == 401 and api.headers["content-type"].startswith("text/html")
        assert client.get("/__admin/clock").json()["error"]["code"] == "unauthorized"
        refused = client.post("/__admin/session", json={}, headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401 and "set-cookie" not in refused.headers
        opened = client.post("/__admin/session", json={}, headers={"Authorization": "Bearer s3cret"})
        cookie = opened.headers["set-cookie"]
        assert cookie.startswith(f"{ADMIN_COOKIE}=s3cret;")
        assert all(part in cookie for part in ("HttpOnly", "Path=/__admin", "SameSite=strict"))
        assert client.get("/__admin/ui/", headers={"Accept": "text/html"}).status_code == 200
        assert client.post("/__admin/session", content="{}", headers={"Content-Type": "text/plain"}).status_code == 415


@pytest.mark.parametrize("page", ["", "tasks", "tasks/123", "journal", "scenarios"])
def test_every_page_is_html_with_the_script_and_the_refresh_interval(client: ContractClient, page: str) -> None:
    answer = client.get(f"/__admin/ui/{page}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert '<script src="/__admin/ui/static/dashboard.js">' in answer.text
    assert 'data-refresh-ms="2000"' in answer.text and 'data-live-rows="200"' in answer.text
    assert 'data-busy-factor="100"' in answer.text
    assert "script-src 'self';" in answer.headers["content-security-policy"]
    assert ("http://127.0.0.1:8000/crazyrouter" in answer.text) == (page == "")  # the overview lists the gateways
    assert "http://" not in answer.text.replace("http://127.0.0.1:8000/", "")  # nothing from elsewhere


def test_a_page_asks_for_no_more_rows_than_the_admin_api_gives() -> None:
    with make_client(admin_page_max=50) as client:
        assert 'data-live-rows="50"' in client.get("/__admin/ui/journal").text
        assert client.get("/__admin/journal", params={"limit": 50}).status_code == 200


def test_a_dashboard_path_it_does_not_have_is_the_admin_apis_404(client: ContractClient) -> None:
    for path in ("/__admin/ui/nope", "/__admin/ui/static/nope.js"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_the_root_links_the_dashboard_for_a_browser_and_names_it_for_a_client(client: ContractClient) -> None:
    html = client.get("/", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html") and 'href="/__admin/ui/"' in html.text
    assert client.get("/").json()["dashboard"] == "http://127.0.0.1:8000/__admin/ui/"


def exchange(n: int) -> Exchange:
    return Exchange(float(n), "crazyrouter", "GET", f"/p/{n}", b"", [], b"", 200, [], b"{}")


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 8), added=st.integers(0, 20), after=st.integers(0, 25))
def test_a_cursor_reads_exactly_the_entries_past_it(size: int, added: int, after: int) -> None:
    kept = Journal(size)
    for n in range(added):
        kept.add(exchange(n))
    every = kept.entries()
    assert [e.seq for e in every] == list(range(max(added - size, 0) + 1, added + 1))
    assert kept.entries(after=after) == [e for e in every if e.seq > after]
    assert [kept.entry(e.seq) for e in every] == every
    assert kept.entry(after) == next((e for e in every if e.seq == after), None)


def test_a_shared_journal_reads_by_cursor_and_number_alike(tmp_path: Path) -> None:
    with make_client(store=f"sqlite:///{tmp_path / 'mock.db'}") as client:
        task_id = task_of(client)
        fetch(client, task_id)
        client.get(f"/crazyrouter/jimeng/fetc/{task_id}", headers=AUTH)
        assert [e["seq"] for e in journal(client, after=1)] == [2, 3]
        entry = client.get("/__admin/journal/3").json()
        assert entry["unmatched"] and entry["nearest"][0]["seq"] == 2
        assert client.get("/__admin/journal/4").status_code == 404


@pytest.mark.parametrize("token", ["s3cret", "with space;and=semicolon"])
def test_the_cookie_is_read_among_the_other_cookies_of_the_host(token: str) -> None:
    """A browser sends the mock every cookie its host has (other applications on localhost, whatever the port),
    some that a strict parser refuses: the admin cookie is found among them."""
    with make_client(admin_token=token) as client:
        opened = client.post("/__admin/session", json={}, headers={"Authorization": f"Bearer {token}"})
        value = opened.headers["set-cookie"].split(";")[0].partition("=")[2]
        client.cookies.clear()
        others = f'theme=dark mode; prefs={{"a": 1}}; {ADMIN_COOKIE}={value}; a"b=c'
        answer = client.get("/__admin/clock", headers={"Cookie": others})
        assert answer.status_code == 200, answer.text


def test_the_nearest_requests_to_one_with_a_long_path_are_found_quickly() -> None:
    """A journal full of answered requests with long, distinct paths (any client can make them) ranks them by their
    beginnings: opening an unmatched entry stays quick."""
    letters = random.Random(7)
    kept = Journal(1000)

    def long_path(prefix: str) -> str:
        return prefix + "".join(letters.choice(string.ascii_letters) for _ in range(30_000))

    for n in range(300):
        kept.add(Exchange(float(n), "ark", "GET", long_path("/ark/tasks/"), b"", [], b"", 401, [], b"{}"))
    kept.add(Exchange(300.0, "ark", "GET", "/ark/tasks/x", b"", [], b"", 200, [], b"{}"))
    kept.add(Exchange(301.0, None, "GET", long_path("/ark/task/"), b"", [], b"", 404, [], b"{}"))
    started = time.perf_counter()
    nearest = kept.nearest(kept.entries()[-1])
    assert time.perf_counter() - started < 2
    assert len(nearest) == 5 and all(n["request"].startswith("GET /ark/tasks/") for n in nearest)


def test_a_search_finds_no_masked_credential() -> None:
    kept = Journal(10)
    body = b'{"prompt": "an owl", "api_key": "sk-hidden-77"}'
    kept.add(Exchange(0.0, "crazyrouter", "POST", "/crazyrouter/jimeng/submit/videos", b"", [], body, 200, [], b"{}"))
    assert kept.entries(search="hidden-7") == []
    assert kept.entries(search="sk-") == []
    assert [e.seq for e in kept.entries(search="AN OWL")] == [1]
    assert [e.seq for e in kept.entries(search="api_key")] == [1]


@pytest.mark.parametrize("name", ["a b", "<b>", "100%", "tab\there", "nul\x00", "é", "a" * 101])
def test_a_scenario_name_a_header_could_not_carry_is_refused(client: ContractClient, name: str) -> None:
    answer = client.post("/__admin/scenarios", json={"name": name, "yaml": "description: ok\n"})
    assert answer.status_code == 400 and "name" in answer.json()["error"]["message"]
    assert name not in [s["name"] for s in client.get("/__admin/scenarios").json()["scenarios"]]
