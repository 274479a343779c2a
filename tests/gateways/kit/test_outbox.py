"""The callbacks' outbox as the event loop and the sender thread share it: a gateway watching a new task never
waits for the store reads the sender makes to find what fell due."""

from __future__ import annotations

import threading
from typing import Any, cast

from mockserver.engine import TaskEngine, TaskView
from mockserver.gateways.kit.callbacks import Outbox
from mockserver.scenarios import CallbackScript


class StalledEngine:
    """An engine whose store answers a read only once released (a shared store slow to answer)."""

    def __init__(self) -> None:
        self.reading = threading.Event()
        self.released = threading.Event()

    def peek(self, task_id: str, provider: str | None = None) -> TaskView | None:
        self.reading.set()
        self.released.wait(10)
        return None


def _render(view: TaskView, status: str, at: float) -> dict[str, Any]:
    return {"status": status}


def _watch(outbox: Outbox, task_id: str) -> None:
    outbox.watch(
        task_id, "http://127.0.0.1/hook", _render, statuses={"queued"}, final={"queued"}, script=CallbackScript()
    )


def test_watching_a_task_does_not_wait_for_the_senders_store_reads() -> None:
    engine = StalledEngine()
    outbox = Outbox("ark", cast(TaskEngine, engine))
    _watch(outbox, "first")
    sender = threading.Thread(target=outbox.due, args=(0.0,), daemon=True)
    sender.start()
    assert engine.reading.wait(10)
    watched = threading.Event()

    def watch_another() -> None:
        _watch(outbox, "second")
        watched.set()

    threading.Thread(target=watch_another, daemon=True).start()
    try:
        assert watched.wait(2), "watch() waited for the sender's store read"
    finally:
        engine.released.set()
        sender.join(10)
    assert not outbox.idle  # the second task is still watched: the read of the first did not drop it
