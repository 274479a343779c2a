"""What clients and scenario authors send is shown as text: markup in a prompt, a path, a header or a scenario's
description runs nothing on any page, and a scenarios link that is no percent-encoding opens the list."""

from __future__ import annotations

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.dashboard.conftest import ADMIN
from tests.dashboard.test_dashboard import submit

MARKUP = '"><img src=x onerror=alert(1)><script>alert(2)</script>{{7*7}}'
NAME = "owl:v1.2-beta_3"
"""A scenario name with every kind of character a name may have."""
SCENARIO = f'description: "{MARKUP.replace(chr(34), "")}"\nproviders: [crazyrouter]\nreject: credits_exhausted\n'


def test_markup_in_what_the_mock_holds_runs_nothing(page: Page, mock: httpx.Client) -> None:
    dialogs: list[str] = []

    def opened(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", opened)
    added = mock.post("/__admin/scenarios", json={"name": NAME, "yaml": SCENARIO}, headers=ADMIN)
    assert added.status_code == 201, added.text
    task_id = submit(mock, prompt=MARKUP)
    mock.get(f"/crazyrouter/jimeng/fetch/{MARKUP}", headers={"Authorization": "Bearer sk-x", "X-Evil": MARKUP})

    page.goto(f"/__admin/ui/tasks/{task_id}")
    expect(page.locator("#task-request")).to_contain_text(MARKUP)
    page.goto("/__admin/ui/journal")
    expect(page.locator("#journal tbody")).to_contain_text("onerror=alert(1)")
    page.goto("/__admin/ui/tasks")
    expect(page.locator("tbody")).to_contain_text(task_id)
    page.goto("/__admin/ui/")
    page.goto("/__admin/ui/scenarios")
    page.locator(f'tr[data-scenario="{NAME}"]').click()
    expect(page.locator("#scenario-name")).to_have_text(NAME)
    page.reload()
    expect(page.locator("#scenario-name")).to_have_text(NAME)
    expect(page.locator("#scenario-yaml")).to_contain_text("onerror=alert(1)")
    assert dialogs == []


def test_a_scenarios_link_that_is_not_a_percent_encoding_opens_the_page(page: Page) -> None:
    page.goto("/__admin/ui/scenarios#%ZZ")
    expect(page.locator('tr[data-scenario="default"]')).to_be_visible()
