"""The admin API under /__admin/: clock, tasks, journal, reset, and JSON errors for bad input."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from mockserver.core.clock import DEFAULT_VIRTUAL_START
from mockserver.engine import TaskView
from mockserver.gateways import PROVIDER_IDS
from mockserver.server.app import create_app
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from tests.support import AUTH, ContractClient, make_client, submit

SUBMIT = "/crazyrouter/jimeng/submit/videos"

JSON = {"Content-Type": "application/json"}


def error_of(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def test_clock_reads_and_advances(client: ContractClient) -> None:
    assert client.get("/__admin/clock").json() == {"now": DEFAULT_VIRTUAL_START, "mode": "virtual", "scale": 0.0}
    assert client.post("/__admin/clock/advance", json={"seconds": 90}).json()["now"] == DEFAULT_VIRTUAL_START + 90
    assert client.post("/__admin/clock/advance", json={"seconds": 0.5}).json()["now"] == DEFAULT_VIRTUAL_START + 90.5
    assert client.runtime.clock.now() == DEFAULT_VIRTUAL_START + 90.5


def test_clock_set(client: ContractClient) -> None:
    target = DEFAULT_VIRTUAL_START + 3600
    assert client.post("/__admin/clock/set", json={"now": target}).json()["now"] == target
    error = error_of(client.post("/__admin/clock/set", json={"now": target - 1}), 400)
    assert error["code"] == "bad_clock_change" and "only moves forward" in error["message"]


def test_freeze_and_scale() -> None:
    with make_client(clock="system") as client:
        assert client.get("/__admin/clock").json()["mode"] == "system"
        frozen = client.post("/__admin/clock/freeze", json={}).json()
        assert frozen["mode"] == "virtual"
        assert client.get("/__admin/clock").json()["now"] == frozen["now"]
        scaled = client.post("/__admin/clock/scale", json={"scale": 0.05}).json()
        assert (scaled["mode"], scaled["scale"]) == ("scaled", 0.05)
        assert scaled["now"] >= frozen["now"]


def test_the_clock_drives_tasks(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    client.post("/__admin/clock/advance", json={"seconds": 3600})
    assert client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]["status"] == "succeeded"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/__admin/clock/advance", {"seconds": -1}),
        ("/__admin/clock/advance", {"seconds": "10"}),
        ("/__admin/clock/advance", {"seconds": True}),
        ("/__admin/clock/advance", {}),
        ("/__admin/clock/advance", [10]),
        ("/__admin/clock/set", {"when": 1}),
        ("/__admin/clock/scale", {"scale": 0}),
        ("/__admin/clock/scale", {"scale": -2}),
    ],
)
def test_bad_clock_input(client: ContractClient, path: str, body: Any) -> None:
    error_of(client.post(path, json=body), 400)


@pytest.mark.parametrize("raw", [b"", b"{", b"nan", b'{"seconds": 1e999}'])
def test_malformed_admin_json(client: ContractClient, raw: bytes) -> None:
    error_of(client.post("/__admin/clock/advance", content=raw, headers=JSON), 400)


def test_tasks_list_and_detail(client: ContractClient) -> None:
    first = submit(client, prompt="a cat").json()["id"]
    second = submit(client, prompt="a dog", duration=10).json()["id"]
    listing = client.get("/__admin/tasks").json()
    assert listing["total"] == 2
    assert [t["id"] for t in listing["tasks"]] == [first, second]
    detail = client.get(f"/__admin/tasks/{second}").json()
    assert detail["provider"] == "crazyrouter" and detail["state"] == "queued" and detail["polls"] == 0
    assert detail["scenario"] == "default"
    assert [p["state"] for p in detail["schedule"]["phases"]] == ["queued", "processing"]
    assert detail["schedule"]["outcome"] == {"state": "succeeded", "error": None}
    assert detail["request"]["frames"] == 241


def test_admin_reads_do_not_count_as_polls(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    client.get(f"/__admin/tasks/{task_id}")
    client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)
    assert client.get(f"/__admin/tasks/{task_id}").json()["polls"] == 1


def test_tasks_filters(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    submit(client, prompt="a dog")
    client.runtime.clock.advance(3600)
    submit(client, prompt="late")
    assert client.get("/__admin/tasks?state=succeeded").json()["total"] == 2
    assert client.get("/__admin/tasks?state=queued").json()["total"] == 1
    assert client.get("/__admin/tasks?provider=other").json()["total"] == 0
    assert [t["id"] for t in client.get("/__admin/tasks?limit=1").json()["tasks"]] != [task_id]
    error_of(client.get("/__admin/tasks?limit=0"), 400)
    error_of(client.get("/__admin/tasks?limit=x"), 400)


def test_unknown_task_is_404(client: ContractClient) -> None:
    assert error_of(client.get("/__admin/tasks/nope"), 404)["code"] == "task_not_found"


def test_journal_records_and_filters(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)
    client.get("/crazyrouter/jimeng/fetch/unknown", headers=AUTH)
    entries = client.get("/__admin/journal").json()["entries"]
    assert [(e["method"], e["status"]) for e in entries] == [("POST", 200), ("GET", 200), ("GET", 400)]
    assert all(e["provider"] == "crazyrouter" for e in entries)
    assert '"prompt": "a cat"' in entries[0]["request_body"] or '"prompt":"a cat"' in entries[0]["request_body"]
    assert task_id in entries[0]["response_body"]
    by_task = client.get(f"/__admin/journal?task={task_id}").json()["entries"]
    assert [e["method"] for e in by_task] == ["POST", "GET"]
    assert len(client.get("/__admin/journal?path=/fetch/").json()["entries"]) == 2
    assert len(client.get("/__admin/journal?provider=crazyrouter&method=post").json()["entries"]) == 1
    assert client.delete("/__admin/journal").json() == {"entries": []}
    assert client.get("/__admin/journal").json()["entries"] == []


def test_journal_is_a_bounded_ring() -> None:
    with make_client(journal_size=5) as client:
        for n in range(12):
            client.get(f"/crazyrouter/jimeng/fetch/{n}", headers=AUTH)
        entries = client.get("/__admin/journal").json()["entries"]
        assert [e["path"].rsplit("/", 1)[1] for e in entries] == ["7", "8", "9", "10", "11"]


def test_admin_requests_are_not_journaled(client: ContractClient) -> None:
    client.get("/__admin/clock")
    assert client.get("/__admin/journal").json()["entries"] == []


def test_reset_restores_a_clean_mock(client: ContractClient) -> None:
    first = submit(client, prompt="a cat").json()["id"]
    client.post("/__admin/clock/advance", json={"seconds": 100})
    body = client.post("/__admin/reset", json={}).json()
    assert body["reset"] is True and body["clock"]["now"] == DEFAULT_VIRTUAL_START
    assert client.get("/__admin/tasks").json()["total"] == 0
    assert client.get("/__admin/journal").json()["entries"] == []
    assert submit(client, prompt="a cat").json()["id"] == first, "random streams restart from the seed"


def test_unknown_admin_route_and_method(client: ContractClient) -> None:
    assert error_of(client.get("/__admin/nope"), 404)["code"] == "not_found"
    assert error_of(client.get("/__admin/reset"), 405)["code"] == "method_not_allowed"


def test_index_lists_the_gateways(client: ContractClient) -> None:
    body = client.get("/__admin/").json()
    sdk_base = {
        "octopusx": "/v1",
        "ark": "/api/v3",
    }  # the SDKs' base_url: the same in the banner, the README and verify
    assert body["providers"] == {pid: f"http://127.0.0.1:8000/{pid}{sdk_base.get(pid, '')}" for pid in PROVIDER_IDS}
    assert "crazyrouter" in body["providers"] and "octopusx" in body["providers"]
    assert body["tasks"] == 0 and body["clock"]["mode"] == "virtual"


def test_admin_openapi_document_covers_every_route(client: ContractClient) -> None:
    response = client.get("/__admin/openapi.yaml")
    assert response.status_code == 200
    document = yaml.safe_load(response.text)
    assert document["openapi"].startswith("3.1")
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    from starlette.routing import Mount, Route

    admin = next(r for r in client.app.routes if isinstance(r, Mount) and r.path == "/__admin")  # type: ignore[attr-defined]
    served = {
        (m, "/__admin" + (r.path if r.path != "/" else "/"))
        for r in admin.routes
        if isinstance(r, Route)
        for m in (r.methods or set()) - {"HEAD"}
    }
    assert served == documented


def test_reset_restores_the_configured_default_scenario() -> None:
    with make_client(scenario="stuck_queue") as client:
        client.runtime.scenarios.use("instant")
        client.post("/__admin/reset", json={})
        task_id = submit(client, prompt="a cat").json()["id"]
        assert client.get(f"/__admin/tasks/{task_id}").json()["scenario"] == "stuck_queue"


@pytest.mark.parametrize("path", ["/__admin/", "/__admin/tasks", "/__admin/clock/next"])
def test_reading_every_task_leaves_the_event_loop_serving_the_gateways(path: str) -> None:
    """The overview, the task listing and the next change read every stored task: in a worker thread, so a gateway
    request made meanwhile is answered while the read goes on (a store of a million tasks would otherwise hold the
    loop for seconds)."""
    runtime = MockRuntime(Settings(clock="virtual"))
    app = create_app(runtime=runtime)
    reading_started, answered = threading.Event(), threading.Event()
    served_meanwhile: list[bool] = []
    reading = runtime.engine.tasks

    def slow_read(provider: str | None = None) -> Iterator[TaskView]:
        reading_started.set()
        served_meanwhile.append(answered.wait(timeout=5))  # on the event loop, nothing is answered meanwhile
        yield from reading(provider)

    runtime.engine.tasks = slow_read  # type: ignore[method-assign]

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            body = {"model": "jimeng-video-3.0", "prompt": "a cat"}
            task_id = (await client.post(SUBMIT, json=body, headers=AUTH)).json()["id"]

            async def admin() -> None:
                method = "POST" if path.endswith("/next") else "GET"
                response = await client.request(method, path, json={} if method == "POST" else None)
                assert response.status_code == 200, response.text

            async def gateway() -> None:
                assert await asyncio.to_thread(reading_started.wait, 5)
                assert (await client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)).status_code == 200
                answered.set()

            await asyncio.gather(admin(), gateway())

    asyncio.run(scenario())
    assert served_meanwhile == [True]
