"""The `TaskStore` contract, run against every store: memory, SQLite and Redis."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from mockserver.engine.lifecycle import Outcome, Phase, Schedule
from mockserver.engine.task import Task

SCHEDULE = Schedule(
    (
        Phase("queued", (0, 0), until_seconds=10.0),
        Phase("running", (0, 90), until_polls=3),
        Phase("running", (90, 99), until_seconds=42.5),
    ),
    Outcome("failed", {"code": "OUTPUT_IMAGE_SENSITIVE", "message": "内容不合规"}, {"fail_reason": "x", "n": 2}),
)


def task(task_id: str, *, created_at: float = 0.0, expires_at: float = 100.0, provider: str = "p") -> Task:
    return Task(
        id=task_id,
        provider=provider,
        created_at=created_at,
        expires_at=expires_at,
        schedule=SCHEDULE,
        request={"prompt": f"猫 {task_id}", "size": [1280, 720], "image": None, "nested": {"a": [1, 2.5]}},
        scenario="flaky-poll",
        seed=123456789,
        status_lag=1.5,
    )


def test_a_new_store_is_empty(store: Any) -> None:
    assert len(store) == 0
    assert store.get("a", 0.0) is None
    assert store.record_poll("a", 0.0) is None
    assert list(store.scan(0.0)) == []


def test_a_task_comes_back_whole(store: Any) -> None:
    stored = task("a")
    assert store.add(stored) is True
    back = store.get("a", 50.0)
    assert back is not None
    assert back.to_dict() == stored.to_dict()
    assert back.schedule == SCHEDULE
    assert (back.scenario, back.seed, back.status_lag) == ("flaky-poll", 123456789, 1.5)


def test_a_duplicate_id_is_refused_and_the_first_kept(store: Any) -> None:
    assert store.add(task("a", expires_at=100.0)) is True
    assert store.add(task("a", expires_at=500.0)) is False
    assert store.get("a", 0.0).expires_at == 100.0
    assert len(store) == 1


def test_polls_are_counted_one_by_one(store: Any) -> None:
    store.add(task("a"))
    assert [store.record_poll("a", "p").polls for _ in range(3)] == [1, 2, 3]
    assert store.get("a", 1.0).polls == 3


def test_concurrent_polls_are_all_counted(store: Any) -> None:
    store.add(task("a"))
    seen: list[int] = []

    def poll() -> None:
        for _ in range(25):
            seen.append(store.record_poll("a", "p").polls)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 101))
    assert store.get("a", 1.0).polls == 100


def test_finished_at_is_set_once(store: Any) -> None:
    store.add(task("a"))
    store.mark_finished("a", 30.0)
    store.mark_finished("a", 60.0)
    assert store.get("a", 70.0).finished_at == 30.0
    assert store.record_poll("a", "p").finished_at == 30.0
    store.mark_finished("unknown", 1.0)
    assert store.get("unknown", 1.0) is None


def test_an_expired_task_is_gone_before_it_is_purged(store: Any) -> None:
    store.add(task("a", expires_at=100.0))
    assert store.get("a", 99.9) is not None
    assert store.get("a", 100.0) is None
    assert list(store.scan(100.0)) == []


def test_a_poll_counts_only_for_the_gateway_that_holds_the_task(store: Any) -> None:
    store.add(task("a", provider="p"))
    assert store.record_poll("a", "q") is None
    assert store.record_poll("missing", "p") is None
    assert store.record_poll("a", "p").polls == 1


def test_purge_drops_expired_tasks_only(store: Any) -> None:
    store.add(task("old", expires_at=10.0))
    store.add(task("new", expires_at=1000.0))
    assert store.purge(10.0) == 1
    assert len(store) == 1
    assert store.get("new", 10.0) is not None
    assert store.add(task("old", expires_at=2000.0)) is True  # a purged id may be drawn again


def test_scan_lists_live_tasks_oldest_first(store: Any) -> None:
    for number, name in enumerate(["c", "a", "b"]):
        store.add(task(name, created_at=float(number), provider="x" if name == "a" else "p"))
    assert [t.id for t in store.scan(5.0)] == ["c", "a", "b"]
    store.record_poll("a", "x")
    assert [t.polls for t in store.scan(5.0)] == [0, 1, 0]


def test_remove_and_clear(store: Any) -> None:
    store.add(task("a"))
    store.add(task("b"))
    assert store.remove("a") is True
    assert store.remove("a") is False
    assert store.get("a", 0.0) is None
    store.clear()
    assert len(store) == 0
    assert store.get("b", 0.0) is None
    assert store.add(task("b")) is True


def test_a_live_task_is_ended_in_place_once_and_keeps_its_poll_count(store: Any) -> None:
    store.add(task("a", expires_at=100.0))
    store.record_poll("a", "p")
    cancelled = Schedule((Phase("queued", (0, 0), until_seconds=1.0),), Outcome("cancelled"))
    ended = replace(task("a", expires_at=500.0), schedule=cancelled, finished_at=1.0)
    assert store.end(ended) is True
    found = store.get("a", 200.0)  # past the old expiry, within the new
    assert found is not None
    assert (found.schedule.outcome.state, found.finished_at, found.polls) == ("cancelled", 1.0, 1)
    assert store.end(replace(ended, finished_at=2.0)) is False  # already ended: a second cancel changes nothing
    assert store.get("a", 200.0).finished_at == 1.0
    assert store.end(replace(ended, id="gone")) is False
    assert store.get("gone", 0.0) is None and len(store) == 1
    assert store.purge(400.0) == 0 and store.purge(500.0) == 1
