"""The flows the dashboard exists for, clicked through in chromium against a served mock; each asserts on what the
page shows. The screenshots in docs/ (the README's) are taken here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.dashboard.conftest import ADMIN, TOKEN
from tests.stores.processes import Served

KEY = {"Authorization": "Bearer sk-dashboard"}
SUBMIT = "/crazyrouter/jimeng/submit/videos"
BODY = {"model": "jimeng-video-3.0", "prompt": "An orange cat on a skateboard"}


def submit(mock: httpx.Client, scenario: str | None = None, prompt: str = BODY["prompt"]) -> str:
    headers = KEY | ({"X-Mock-Scenario": scenario} if scenario else {})
    answer = mock.post(SUBMIT, json=BODY | {"prompt": prompt}, headers=headers)
    assert answer.status_code == 200, answer.text
    task_id: str = answer.json()["id"]
    return task_id


def poll(mock: httpx.Client, task_id: str) -> httpx.Response:
    return mock.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=KEY)


def test_a_browser_is_asked_for_the_token_once_and_the_index_links_the_dashboard(
    browser: Browser, served: Served, mock: httpx.Client
) -> None:
    context = browser.new_context(base_url=served.base)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Open the dashboard").click()
    expect(page.get_by_label("admin token")).to_be_visible()
    page.get_by_label("admin token").fill("not-it")
    page.get_by_role("button", name="open the dashboard").click()
    expect(page.get_by_text("That is not the admin token.")).to_be_visible()
    page.get_by_label("admin token").fill(TOKEN)
    page.get_by_role("button", name="open the dashboard").click()
    expect(page.locator("#gateways")).to_contain_text(f"{served.base}/crazyrouter")
    cookie = next(c for c in context.cookies() if c["name"] == "jimeng_mock_admin_token")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/__admin"
    context.close()


def test_a_task_appears_runs_on_the_clock_from_the_ui_plays_and_its_url_expires(
    page: Page, mock: httpx.Client, shots: Path
) -> None:
    page.goto("/__admin/ui/tasks")
    expect(page.locator("#no-tasks")).to_be_visible()
    task_id = submit(mock, scenario="url_expires_early")
    row = page.locator(f'tr[data-task="{task_id}"]')
    expect(row).to_contain_text("queued")  # appeared without a reload
    expect(row).to_contain_text("url_expires_early")
    row.get_by_role("link").click()

    expect(page.locator("#task-state")).to_have_text("queued")
    expect(page.locator("#script")).to_contain_text("the result URL lives 60 s")
    expect(page.locator("#timeline .step")).to_have_count(2)
    expect(page.locator("#now-mark")).to_be_visible()
    page.get_by_role("button", name="+1 s").click()
    expect(page.locator("#message")).to_contain_text("clock advanced")
    page.get_by_role("button", name="next change").click()
    expect(page.locator("#task-state")).to_have_text("processing")
    expect(page.locator("#message")).to_contain_text(f"task {task_id}: queued → processing")
    bar, now = page.locator("#timeline .bar").bounding_box(), page.locator("#now-mark").bounding_box()
    processing = page.locator(".step.current").bounding_box()
    assert bar and now and processing and abs(now["x"] - processing["x"]) < 3  # "now" stands where processing began
    assert now["x"] > bar["x"] + 10  # after the queued step
    page.get_by_role("button", name="next change").click()
    expect(page.locator("#task-state")).to_have_text("succeeded")
    expect(page.locator("#timeline-legend")).to_contain_text("ended succeeded")

    assert poll(mock, task_id).json()["data"]["status"] == "succeeded"  # the client polls, and gets its URL
    video = page.locator("#result video")
    expect(video).to_be_visible()
    expect(page.locator("#result .expiry")).to_contain_text(re.compile(r"expires in (59|60) s on the mock's clock"))
    played = video.evaluate(
        """async (video) => {
             await video.play();
             await new Promise((done) => setTimeout(done, 300));
             return {width: video.videoWidth, height: video.videoHeight, time: video.currentTime, error: video.error};
           }"""
    )
    assert (played["width"], played["height"]) == (1920, 1080) and played["time"] > 0 and played["error"] is None
    expect(page.locator("#exchanges tbody tr")).to_have_count(2)
    expect(page.locator("#answer")).to_contain_text('"status": "succeeded"')
    expect(page.locator("#answer")).to_contain_text("content-type: application/json")
    page.screenshot(path=shots / "dashboard-task.png", full_page=True)

    page.get_by_role("button", name="+1 min").click()
    expect(page.locator("#result .expiry")).to_contain_text("expired at")
    expect(page.locator("#result .expiry")).to_contain_text("the URL now answers 403")


def test_the_journal_filters_shows_an_unmatched_request_with_the_nearest_and_exports_what_it_shows(
    page: Page, mock: httpx.Client, shots: Path
) -> None:
    task_id = submit(mock)
    poll(mock, task_id)
    mock.get(f"/crazyrouter/jimeng/fetc/{task_id}", headers=KEY)  # a typo in the path: no route
    other = submit(mock, prompt="A second task")
    page.goto("/__admin/ui/journal")
    rows = page.locator("#journal tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#journal tbody tr.unmatched")).to_have_count(1)
    for latency in page.locator("#journal tbody td.latency").all_inner_texts():  # each row: how long the mock took
        assert re.fullmatch(r"\d+\.\d ms", latency), latency

    page.get_by_label("status").select_option("unmatched")
    expect(rows).to_have_count(1)  # the page asked for no favicon: its own requests stay out of the journal
    rows.first.click()
    expect(page.locator("#entry-title")).to_contain_text(f"GET /crazyrouter/jimeng/fetc/{task_id} → 404")
    nearest = page.locator("#entry-nearest li").first
    expect(nearest).to_have_text(f"GET /crazyrouter/jimeng/fetch/{task_id} -> 200 (crazyrouter)")
    expect(page.locator("#entry-request-headers")).to_contain_text("authorization: ***")
    page.screenshot(path=shots / "dashboard-journal.png", full_page=True)

    page.get_by_label("status").select_option("")
    page.get_by_label("search").fill("A second task")
    page.get_by_label("search").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(other)
    with page.expect_download() as download:
        page.get_by_role("link", name="export shown as cassette").click()
    cassette = json.loads(download.value.path().read_text())
    assert [i["request"]["path"] for i in cassette["interactions"]] == [SUBMIT]
    assert "A second task" in cassette["interactions"][0]["request"]["body"]["text"]

    poll(mock, other)  # live: a new exchange that matches shows up, one that does not stays out
    poll(mock, task_id)
    expect(rows).to_have_count(1)
    page.get_by_label("search").fill("")
    page.get_by_label("task").fill(other)
    page.get_by_label("task").press("Enter")
    expect(rows).to_have_count(2)


def test_a_scenario_with_an_error_shows_its_line_and_a_good_one_becomes_the_default(
    page: Page, mock: httpx.Client, shots: Path
) -> None:
    page.goto("/__admin/ui/scenarios")
    page.locator('tr[data-scenario="third_poll_503"]').click()
    expect(page.locator("#scenario-yaml")).to_contain_text("nth: 3, status: 503")
    expect(page.locator("#scenario-source")).to_have_text("built-in (third_poll_503.yaml) · applies to every gateway")
    expect(page.locator("#scenario-default")).to_be_hidden()

    page.get_by_label("name").fill("slow_start")
    bad = "description: Queued for a long time.\ntimings:\n  queued: soon\n"
    page.locator("textarea[name=yaml]").fill(bad)
    page.get_by_role("button", name="add").click()
    expect(page.locator("#scenario-error")).to_contain_text("Line 3: timings.queued")
    expect(page.locator("#scenario-lines li.bad")).to_have_text("3")
    page.screenshot(path=shots / "dashboard-scenarios.png")

    page.locator("textarea[name=yaml]").fill(bad.replace("soon", "600"))
    page.get_by_role("button", name="add").click()
    expect(page.locator("#scenario-error")).to_be_hidden()
    expect(page.locator("#scenario-name")).to_have_text("slow_start")
    expect(page.locator("#scenario-source")).to_contain_text("admin API")
    expect(page.locator("#scenario-default")).to_be_hidden()
    page.get_by_role("button", name="make default").click()
    expect(page.locator("#scenario-default")).to_be_visible()
    assert mock.get("/__admin/scenarios", headers=ADMIN).json()["default"] == "slow_start"
    task_id = submit(mock)
    assert mock.get(f"/__admin/tasks/{task_id}", headers=ADMIN).json()["scenario"] == "slow_start"


def test_the_overview_counts_tasks_drives_the_clock_and_resets(
    page: Page, mock: httpx.Client, served: Served, shots: Path
) -> None:
    first = submit(mock)
    submit(mock, scenario="moderation_fail")
    parts = {"model": (None, "jimeng-video-3.0"), "prompt": (None, "A lighthouse")}
    assert mock.post("/octopusx/v1/videos", files=parts, headers=KEY).status_code == 200
    page.goto("/__admin/ui/")
    counts = page.locator("#counts")
    expect(counts.locator("tr", has_text="crazyrouter")).to_contain_text("queued 2")
    expect(counts.locator("tr", has_text="octopusx")).to_contain_text("queued 1")
    expect(page.locator("#gateways")).to_contain_text(f"{served.base}/octopusx/v1")
    expect(page.locator("#overview-mode")).to_have_text("virtual")
    page.get_by_role("button", name="+1 h").click()
    expect(counts.locator("tr", has_text="crazyrouter")).to_contain_text("succeeded 1")
    expect(counts.locator("tr", has_text="crazyrouter")).to_contain_text("failed 1")
    page.screenshot(path=shots / "dashboard-overview.png", full_page=True)

    page.get_by_label("run at scale").fill("0.5")
    page.get_by_role("button", name="run").click()
    expect(page.locator("#overview-mode")).to_have_text("scaled")
    page.get_by_role("button", name="freeze").click()
    expect(page.locator("#overview-mode")).to_have_text("virtual")

    page.locator("#default-scenario").select_option("instant")
    page.get_by_role("button", name="make default").click()
    expect(page.locator("#message")).to_have_text("default scenario: instant")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="reset the mock").click()
    expect(page.locator("#message")).to_have_text("the mock was reset")
    expect(page.locator("#counts tbody")).not_to_contain_text("queued")
    assert mock.get(f"/__admin/tasks/{first}", headers=ADMIN).status_code == 404
    assert mock.get("/__admin/scenarios", headers=ADMIN).json()["default"] == "default"
