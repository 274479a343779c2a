"""A dashboard left open while the mock is under load, for the row "poll (running), dashboard open": each of the
four live pages (overview, tasks, one task, journal) asks the admin API what its script asks, every
REFRESH_SECONDS or BUSY_FACTOR times what its last round cost the mock (its answers' Server-Timing), whichever is
longer, as the dashboard's script waits."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mockserver.server.dashboard import BUSY_FACTOR, LIVE_ROWS, REFRESH_SECONDS


class Page(threading.Thread):
    """One open page: its rounds of admin calls on one keep-alive connection, until stopped."""

    def __init__(self, port: int, name: str, calls: Callable[[], list[str]], stop: threading.Event) -> None:
        super().__init__(name=f"dashboard {name}", daemon=True)
        self.port, self.calls, self.stop = port, calls, stop
        self.page = name
        self.rounds: list[float] = []
        """What each round cost the mock, in seconds."""
        self.errors = 0
        self.answers: dict[str, Any] = {}

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            while not self.stop.is_set():
                took = 0.0
                for path in self.calls():
                    connection.request("GET", path, headers={"Accept": "application/json"})
                    response = connection.getresponse()
                    body = response.read()
                    self.errors += response.status >= 400
                    self.answers[path.partition("?")[0]] = json.loads(body) if response.status < 400 else None
                    took += float((response.getheader("server-timing") or "dur=0").rpartition("dur=")[2]) / 1000
                self.rounds.append(took)
                self.stop.wait(max(REFRESH_SECONDS, BUSY_FACTOR * took))
        finally:
            connection.close()

    def figures(self) -> dict[str, Any]:
        mean = sum(self.rounds) / len(self.rounds) if self.rounds else 0.0
        return {
            "page": self.page,
            "rounds": len(self.rounds),
            "mean_server_ms": round(mean * 1000, 2),
            "errors": self.errors,
        }


@contextmanager
def dashboard_open(port: int, task_id: str) -> Iterator[list[Page]]:
    """The four live pages open on the mock at `port` (the task page on `task_id`) while the block runs."""
    stop = threading.Event()
    journal = Page(port, "journal", lambda: [], stop)

    def journal_calls() -> list[str]:
        entries = (journal.answers.get("/__admin/journal") or {}).get("entries") or [{"seq": 0}]
        return [f"/__admin/journal?after={entries[-1]['seq']}&limit={LIVE_ROWS}", "/__admin/clock"]

    journal.calls = journal_calls
    pages = [
        Page(port, "overview", lambda: ["/__admin/"], stop),
        Page(port, "tasks", lambda: [f"/__admin/tasks?limit={LIVE_ROWS}", "/__admin/clock"], stop),
        Page(port, "task", lambda: [f"/__admin/tasks/{task_id}/timeline"], stop),
        journal,
    ]
    for page in pages:
        page.start()
    try:
        yield pages
    finally:
        stop.set()
        for page in pages:
            page.join(timeout=60)
