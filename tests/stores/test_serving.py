"""The proof, with real processes: a SQLite store survives `kill -9`; two workers on SQLite and two instances on
Redis give the answers one process gives; `serve --workers` refuses a store the workers cannot share."""

from __future__ import annotations

import pickle
import socket
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.cli.main import main
from mockserver.cli.serving import ListenError, bind
from tests.stores.processes import STARTUP_SECONDS, Served, serving, start, wait_until

AUTH = {"Authorization": "Bearer sk-test"}
SUBMIT = "/crazyrouter/jimeng/submit/videos"
SCENARIOS = ("default", "late_status", "cdn_lag", "instant")


def submit(http: httpx.Client, number: int) -> str:
    headers = {**AUTH, "X-Mock-Scenario": SCENARIOS[number % len(SCENARIOS)], "Connection": "close"}
    response = http.post(SUBMIT, headers=headers, json={"model": "jimeng-video-3.0", "prompt": f"cat {number}"})
    assert response.status_code == 200, response.text
    return str(response.json()["task_id"])


def fetch(http: httpx.Client, task_id: str) -> dict[str, Any]:
    response = http.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers={**AUTH, "Connection": "close"})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def admin_task(http: httpx.Client, task_id: str) -> dict[str, Any]:
    """The admin view of a task (`task_id` may also be the view's full URL)."""
    response = http.get(task_id if task_id.startswith("http") else f"/__admin/tasks/{task_id}")
    assert response.status_code == 200, f"task {task_id} is gone: {response.text}"
    view: dict[str, Any] = response.json()
    return view


def test_every_acknowledged_task_survives_kill_9(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'mock.db'}"
    served = start("--store", store, "--clock", "virtual")
    acknowledged: dict[str, dict[str, Any]] = {}
    enough = threading.Event()

    def load(worker: int) -> None:
        with httpx.Client(base_url=served.base, timeout=10) as http:
            for number in range(worker, 10_000, 4):
                try:
                    task_id = submit(http, number)
                    acknowledged[task_id] = admin_task(http, task_id)
                except httpx.TransportError:
                    return  # the server is gone: what it acknowledged must be kept
                scenarios = Counter(task["scenario"] for task in list(acknowledged.values()))
                if len(scenarios) == len(SCENARIOS) and min(scenarios.values()) >= 10:
                    enough.set()  # every thread (each submits one scenario) has had ten tasks acknowledged

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=120), "the load did not reach ten tasks of each scenario"
    served.kill()  # mid-load: the threads are still submitting
    for thread in threads:
        thread.join(timeout=30)
    assert served.process.returncode == -9

    with serving("--store", store, "--clock", "virtual") as again, httpx.Client(base_url=again.base) as http:
        for task_id, before in acknowledged.items():
            after = admin_task(http, task_id)
            assert after["schedule"] == before["schedule"]
            assert after["scenario"] == before["scenario"]
            assert after["request"] == before["request"]
        assert {t["scenario"] for t in acknowledged.values()} == set(SCENARIOS)


def run_script(submit_to: list[Served], poll_from: list[Served], advance_on: Served) -> list[Any]:
    """Submit 8 tasks and poll each (spread over `submit_to` and `poll_from`), advance the clock once, poll
    again: everything a client sees, in order."""
    seen: list[Any] = []
    bases = {s.base for s in (*submit_to, *poll_from, advance_on)}
    clients = {base: httpx.Client(base_url=base, timeout=10) for base in bases}
    try:
        ids = [submit(clients[submit_to[n % len(submit_to)].base], n) for n in range(8)]
        seen.append(ids)
        for step in range(2):
            for n, task_id in enumerate(ids):
                data = fetch(clients[poll_from[(n + step) % len(poll_from)].base], task_id)
                seen.append({k: data.get(k) for k in ("task_id", "status", "progress", "fail_reason", "url")})
            response = clients[advance_on.base].post("/__admin/clock/advance", json={"seconds": 90})
            assert response.status_code == 200
    finally:
        for client in clients.values():
            client.close()
    return seen


def test_two_workers_on_sqlite_answer_as_one_process(tmp_path: Path) -> None:
    flags = ("--clock", "virtual", "--seed", "11", "--public-url", "http://mock.test", "--media-secret", "k")
    with serving(*flags) as one:
        expected = run_script([one], [one], one)
    with serving(*flags, "--store", f"sqlite:///{tmp_path / 'mock.db'}", "--workers", "2") as two:
        assert run_script([two], [two], two) == expected
        with httpx.Client(base_url=two.base) as http:
            entries = http.get("/__admin/journal", params={"provider": "crazyrouter"}).json()["entries"]
            assert len(entries) == 8 + 16
            assert http.get("/__admin/clock").json()["now"] == 1_767_225_600 + 180  # advanced twice, once for all
        # Which worker accepts a connection is the kernel's choice: open fresh ones until both have answered.
        workers: set[int] = set()
        for _ in range(200):
            with httpx.Client(base_url=two.base, timeout=10) as fresh:
                fresh.get("/crazyrouter/jimeng/fetch/unknown", headers={"Authorization": "Bearer sk-x"})
                last = fresh.get("/__admin/journal", params={"limit": "1"}).json()["entries"][-1]
            workers.add(last["worker"])
            if len(workers) == 2:
                break
        assert len(workers) == 2, "every connection went to one worker"


def _listening_sockets(port: int) -> int:
    """How many sockets listen on `port` on this machine (Linux's table of TCP sockets; state 0A: listening)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                count += state == "0A" and int(local.rsplit(":", 1)[1], 16) == port
    return count


@pytest.mark.skipif(sys.platform != "linux", reason="one socket per worker where the kernel spreads connections")
def test_each_worker_listens_on_its_own_socket_and_connections_are_spread_over_them(tmp_path: Path) -> None:
    with serving("--store", f"sqlite:///{tmp_path / 'mock.db'}", "--workers", "3", "--clock", "virtual") as three:
        port = int(three.base.rsplit(":", 1)[1])
        wait_until(lambda: _listening_sockets(port) == 3, three.process, "the third worker's socket")
        assert _listening_sockets(port) == 3
        # 48 connections, kept open; a worker still loading its app answers its share once it has (hence the timeout)
        clients = [httpx.Client(base_url=three.base, timeout=STARTUP_SECONDS) for _ in range(48)]
        try:
            for client in clients:
                client.get("/crazyrouter/jimeng/fetch/unknown", headers={"Authorization": "Bearer sk-x"})
            with httpx.Client(base_url=three.base, timeout=STARTUP_SECONDS) as admin:
                entries = admin.get("/__admin/journal", params={"provider": "crazyrouter", "limit": "48"}).json()
        finally:
            for client in clients:
                client.close()
        served = Counter(entry["worker"] for entry in entries["entries"])
        assert len(served) == 3 and min(served.values()) >= 4, served  # each a third, give or take (binomial)


def test_a_port_held_for_workers_not_yet_listening_is_refused_to_any_other_server() -> None:
    held = bind("127.0.0.1", 0, workers=2)  # as `serve` holds it while its workers start
    try:
        port = held.getsockname()[1]
        for workers in (1, 2):
            with pytest.raises(ListenError, match="already in use"):
                bind("127.0.0.1", port, workers=workers)
        with socket.socket() as other, pytest.raises(OSError):  # a server that binds as most do
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            other.bind(("127.0.0.1", port))
        with pickle.loads(pickle.dumps(held)) as workers_own:  # what a worker process receives
            assert workers_own.getsockname() == ("127.0.0.1", port)
            assert workers_own.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
    finally:
        held.close()


def test_a_port_held_by_a_server_with_workers_is_refused_to_the_next(tmp_path: Path) -> None:
    with serving("--store", f"sqlite:///{tmp_path / 'mock.db'}", "--workers", "2") as first:
        port = first.base.rsplit(":", 1)[1]
        code = main(["serve", "--port", port, "--store", f"sqlite:///{tmp_path / 'other.db'}", "--workers", "2"])
        assert code == 2  # not a member of the first server's group of sockets
        assert httpx.get(f"{first.base}/__admin/clock").status_code == 200


def test_two_instances_on_redis_answer_as_one_process(redis_url: str) -> None:
    import redis

    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    flags = ("--clock", "virtual", "--seed", "11", "--public-url", "http://mock.test", "--media-secret", "k")
    with serving(*flags) as one:
        expected = run_script([one], [one], one)
    with serving(*flags, "--store", redis_url) as first, serving(*flags, "--store", redis_url) as second:
        assert run_script([first], [second], second) == expected
        with httpx.Client(base_url=first.base) as http:
            assert http.get("/__admin/clock").json()["now"] == 1_767_225_600 + 180
            assert len(http.get("/__admin/journal").json()["entries"]) == 8 + 16


def test_sigterm_lets_the_request_in_flight_finish_then_flushes(tmp_path: Path) -> None:
    database = tmp_path / "mock.db"
    served = start("--store", f"sqlite:///{database}", "--clock", "virtual")
    body = b'{"model": "jimeng-video-3.0", "prompt": "a slow upload"}'
    answer: list[httpx.Response] = []
    sent_half = threading.Event()
    release = threading.Event()

    def slow_body() -> Any:
        yield body[:10]
        sent_half.set()
        release.wait(timeout=30)
        yield body[10:]

    def upload() -> None:
        with httpx.Client(base_url=served.base, timeout=30) as http:
            headers = {**AUTH, "Content-Length": str(len(body)), "Content-Type": "application/json"}
            answer.append(http.post(SUBMIT, headers=headers, content=slow_body()))

    thread = threading.Thread(target=upload)
    thread.start()
    assert sent_half.wait(timeout=30)
    stopper = threading.Thread(target=served.stop)
    stopper.start()
    stopper.join(timeout=1)
    assert stopper.is_alive(), "the server stopped with a request in flight"
    release.set()
    thread.join(timeout=30)
    stopper.join(timeout=30)
    assert answer and answer[0].status_code == 200
    assert served.process.returncode in (0, -15)  # uvicorn re-raises the SIGTERM it handled, once shut down
    wal = database.with_name("mock.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed into the database file
    with serving("--store", f"sqlite:///{database}", "--clock", "virtual") as again, httpx.Client() as http:
        assert admin_task(http, f"{again.base}/__admin/tasks/{answer[0].json()['task_id']}")["polls"] == 0


@pytest.mark.parametrize("store", ["memory", None])
def test_several_workers_need_a_shared_store(store: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "2", *(["--store", store] if store else [])]) == 2
    error = capsys.readouterr().err
    assert "--workers 2 needs a shared store" in error
    assert "--store sqlite:///" in error


def test_an_unreachable_store_stops_serve_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--store", "redis://127.0.0.1:1/0"]) == 2
    assert "cannot reach the Redis store" in capsys.readouterr().err
    assert main(["serve", "--store", "mysql://x"]) == 2
    assert "unknown store 'mysql://x'" in capsys.readouterr().err


def test_callbacks_of_every_workers_tasks_go_out_when_one_worker_moves_the_clock(tmp_path: Path) -> None:
    """A task is watched by the worker that created it; the clock, shared, may be moved through another: each
    worker looks for what fell due on it (within callback_interval)."""
    from tests.gateways.ark.helpers import create_body
    from tests.gateways.ark.receiver import receiving

    store = f"sqlite:///{tmp_path / 'mock.db'}"
    with receiving() as receiver, serving("--clock", "virtual", "--store", store, "--workers", "2") as two:
        created: dict[str, int] = {}
        for _ in range(200):  # fresh connections until both workers hold a watched task
            with httpx.Client(base_url=two.base, timeout=10) as fresh:
                answer = fresh.post(
                    "/ark/api/v3/contents/generations/tasks",
                    json=create_body(callback_url=receiver.url),
                    headers={"Authorization": "Bearer sk-ark"},
                )
                task_id = answer.json()["id"]
                entry = fresh.get("/__admin/journal", params={"task": task_id}).json()["entries"][-1]
            created[task_id] = entry["worker"]
            if len(set(created.values())) == 2:
                break
        assert len(set(created.values())) == 2, "every connection went to one worker"
        httpx.post(f"{two.base}/__admin/clock/advance", json={"seconds": 3600}, timeout=30)
        receiver.wait_for(3 * len(created), timeout=30)
    called_back = Counter(body["id"] for body in receiver.bodies)
    assert called_back == dict.fromkeys(created, 3)  # queued, running, succeeded for each
