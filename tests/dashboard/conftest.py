"""The dashboard in a real browser: Debian's chromium (`make chromium` installs it) driven by Playwright, against a
real `jimeng-mock serve` process with an admin token. One browser for the whole suite (module scope: Playwright's
sync API keeps an event loop running in its thread, where another test's `asyncio.run` would fail), one page per
test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from mockserver.server.admin_guard import ADMIN_COOKIE
from tests.stores.processes import Served, free_port, wait_until

TOKEN = "dashboard-test-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SCREENSHOTS = "DASHBOARD_SCREENSHOTS"
"""Set to a folder (`make screenshots` sets docs/), the suite leaves the README's screenshots there; else in a
temporary folder, so a test run changes nothing in the checkout."""
pytestmark = pytest.mark.xdist_group("dashboard")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed: `make test` installs it (apt-get install chromium)"
    return found


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=chromium(),
        args=["--no-sandbox", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"],
    )
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """`jimeng-mock serve` with an admin token, on a virtual clock."""
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--clock", "virtual", "--seed", "7"]
    process = subprocess.Popen(
        [*command, "--admin-token", TOKEN], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    mock = Served(process, f"http://127.0.0.1:{port}")

    def answers() -> bool:
        try:
            return httpx.get(f"{mock.base}/__admin/clock", headers=ADMIN, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, process, "jimeng-mock serve")
        yield mock
    finally:
        mock.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go."""
    folder = os.environ.get(SCREENSHOTS)
    return Path(folder) if folder else tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def mock(served: Served) -> Iterator[httpx.Client]:
    """A client of the served mock, reset before the test (the admin token on every admin call it makes)."""
    with httpx.Client(base_url=served.base, timeout=10) as client:
        assert client.post("/__admin/reset", json={}, headers=ADMIN).status_code == 200
        yield client


@pytest.fixture
def page(browser: Browser, served: Served, mock: httpx.Client) -> Iterator[Page]:
    """A page that carries the admin cookie, as one does after the login form."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=served.base)
    context.add_cookies([{"name": ADMIN_COOKIE, "value": TOKEN, "url": served.base + "/__admin/"}])
    opened = context.new_page()
    faults: list[str] = []  # a script error, or anything the page's Content-Security-Policy refused
    opened.on("pageerror", lambda error: faults.append(str(error)))
    opened.on("console", lambda message: faults.append(message.text) if "Security Policy" in message.text else None)
    yield opened
    context.close()
    assert not faults, faults
