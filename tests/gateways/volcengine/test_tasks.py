"""Tasks on the clock: the per-access-key queue, cancellation, lifetimes, and business errors from scenarios."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.core.volc_v4 import KeyPair
from mockserver.server.settings import Settings, SettingsError
from tests.gateways.volcengine.helpers import (
    CANCEL,
    GET_RESULT,
    PAIR,
    SUBMIT,
    T2V,
    business_error,
    call,
    result,
    status,
    submit,
    task_id_of,
)
from tests.support import ContractClient, deleted_meanwhile, make_client

TIMINGS = {"in_queue": 1, "generating": 100}


@pytest.fixture
def client() -> Iterator[ContractClient]:
    with make_client(seed=0, provider_options={"volcengine": {"timings": TIMINGS}}) as made:
        yield made


def statuses(client: ContractClient, task_ids: list[str]) -> list[str]:
    return [status(client, task_id) for task_id in task_ids]


def test_past_the_concurrency_a_keys_tasks_wait_in_queue(client: ContractClient) -> None:
    tasks = [task_id_of(submit(client, prompt=f"cat {n}")) for n in range(3)]
    client.runtime.clock.advance(50)
    assert statuses(client, tasks) == ["generating", "generating", "in_queue"]
    client.runtime.clock.advance(52)  # the first two end at 101: the third starts then
    assert statuses(client, tasks) == ["done", "done", "generating"]
    client.runtime.clock.advance(100)
    assert statuses(client, tasks)[2] == "done"


def test_another_access_keys_tasks_do_not_wait_for_these() -> None:
    other = KeyPair("AKLTother", "other-secret")
    settings = {"volcengine": {"timings": TIMINGS}}
    with make_client(seed=0, provider_options=settings, api_keys=frozenset({str(PAIR), str(other)})) as client:
        for n in range(2):
            task_id_of(submit(client, prompt=f"cat {n}"))
        theirs = task_id_of(call(client, SUBMIT, {"req_key": T2V, "prompt": "a"}, pair=other))
        client.runtime.clock.advance(50)
        read = result(client, theirs, pair=other)
        assert read.json()["data"]["status"] == "generating"


def test_the_concurrency_is_a_setting() -> None:
    options = {"volcengine": {"timings": TIMINGS, "concurrency": 1}}
    with make_client(seed=0, provider_options=options) as client:
        tasks = [task_id_of(submit(client, prompt=f"cat {n}")) for n in range(2)]
        client.runtime.clock.advance(50)
        assert statuses(client, tasks) == ["generating", "in_queue"]


def test_cancel_frees_the_slot_for_the_next_submit(client: ContractClient) -> None:
    """Schedules are fixed at submit, so a task already queued keeps its start; the next submit takes the slot."""
    tasks = [task_id_of(submit(client, prompt=f"cat {n}")) for n in range(3)]
    assert call(client, CANCEL, {"req_key": T2V, "task_id": tasks[1]}).json()["code"] == 10000
    later = task_id_of(submit(client, prompt="a fourth"))
    client.runtime.clock.advance(50)
    assert status(client, tasks[1]) == "not_found"
    assert statuses(client, [tasks[0], tasks[2], later]) == ["generating", "in_queue", "generating"]


def test_a_cancel_that_finds_the_task_cancelled_meanwhile_answers_as_for_an_unknown_task(
    client: ContractClient,
) -> None:
    task_id = task_id_of(submit(client, prompt="a cat"))
    deleted_meanwhile(client)
    code, message = business_error(call(client, CANCEL, {"req_key": T2V, "task_id": task_id}), 400)
    assert f"no task {task_id}" in message  # and its queue slot is not freed a second time
    assert code == business_error(call(client, CANCEL, {"req_key": T2V, "task_id": "123"}), 400)[0]
    assert status(client, task_id) == "not_found"


def test_cancel_refuses_generating_finished_and_unknown_tasks(client: ContractClient) -> None:
    task_id = task_id_of(submit(client, prompt="a cat"))
    client.runtime.clock.advance(2)
    code, message = business_error(call(client, CANCEL, {"req_key": T2V, "task_id": task_id}), 400)
    assert code == 50215 and "cannot be cancelled" in message
    client.runtime.clock.advance(200)
    assert business_error(call(client, CANCEL, {"req_key": T2V, "task_id": task_id}), 400)[0] == 50215
    assert status(client, task_id) == "done"
    code, message = business_error(call(client, CANCEL, {"req_key": T2V, "task_id": "123"}), 400)
    assert "no task 123" in message


def test_a_task_id_lives_24_hours_then_answers_expired_then_not_found(client: ContractClient) -> None:
    task_id = task_id_of(submit(client, prompt="a cat"))
    client.runtime.clock.advance(86400 - 1)
    assert status(client, task_id) == "done"
    client.runtime.clock.advance(1)
    assert status(client, task_id) == "expired"
    client.runtime.clock.advance(86400)
    assert status(client, task_id) == "not_found"


def test_the_video_url_is_the_same_on_every_poll_and_lives_an_hour(client: ContractClient) -> None:
    task_id = task_id_of(submit(client, prompt="a cat"))
    client.runtime.clock.advance(101)
    first = result(client, task_id).json()["data"]["video_url"]
    client.runtime.clock.advance(3599)
    assert result(client, task_id).json()["data"]["video_url"] == first
    assert client.get(first).status_code == 200
    client.runtime.clock.advance(1)
    assert client.get(first).status_code != 200


@pytest.mark.parametrize(("scenario", "code"), [("volcengine_50429", 50429), ("volcengine_50430", 50430)])
def test_qps_and_concurrency_limits_refuse_the_submit_with_retry_after(
    client: ContractClient, scenario: str, code: int
) -> None:
    response = submit(client, prompt=f"[[mock:{scenario}]] a cat")
    assert business_error(response, 429)[0] == code
    assert response.headers["Retry-After"] == "1"
    assert response.json()["data"] is None


def test_an_internal_error_fails_the_task_at_get_result(client: ContractClient) -> None:
    task_id = task_id_of(submit(client, prompt="[[mock:volcengine_50500]] a cat"))
    assert status(client, task_id) == "in_queue"
    client.runtime.clock.advance(200)
    response = result(client, task_id)
    assert business_error(response, 500) == (50500, "Internal Error")


def test_the_generic_moderation_scenarios_map_to_the_catalogue(client: ContractClient) -> None:
    body = {"req_key": T2V, "prompt": "a cat"}
    refused = call(client, SUBMIT, body, headers={"X-Mock-Scenario": "input_moderation"})
    assert business_error(refused, 400)[0] == 50412
    task_id = task_id_of(call(client, SUBMIT, body, headers={"X-Mock-Scenario": "moderation_fail"}))
    client.runtime.clock.advance(200)
    assert business_error(result(client, task_id), 400) == (50516, "Post Video Risk Not Pass")


def test_asking_for_the_aigc_label_tags_the_result(client: ContractClient) -> None:
    task_id = task_id_of(submit(client, prompt="a cat"))
    client.runtime.clock.advance(200)
    body = {"req_key": T2V, "task_id": task_id, "req_json": '{"aigc_meta": {"content_producer": "me"}}'}
    tagged = call(client, GET_RESULT, body).json()["data"]
    assert tagged["aigc_meta_tagged"] is True and tagged["status"] == "done" and tagged["video_url"]
    assert "aigc_meta_tagged" not in result(client, task_id).json()["data"]


@pytest.mark.parametrize(
    ("req_json", "reason"),
    [
        ("[" * 4096, "nests arrays and objects 4096 deep"),
        ("{", "req_json must be a JSON object written as a string (is not valid JSON"),
        ("[1]", "req_json must be a JSON object"),
    ],
)
def test_a_hostile_req_json_is_50215_with_its_reason(client: ContractClient, req_json: str, reason: str) -> None:
    task_id = task_id_of(submit(client, prompt="a cat"))
    client.runtime.clock.advance(200)
    response = call(client, GET_RESULT, {"req_key": T2V, "task_id": task_id, "req_json": req_json})
    code, message = business_error(response, 400)
    assert code == 50215 and reason in message


def test_a_req_json_with_a_lone_surrogate_is_read(client: ContractClient) -> None:
    task_id = task_id_of(submit(client, prompt="a cat"))
    client.runtime.clock.advance(200)
    body = {"req_key": T2V, "task_id": task_id, "req_json": '{"logo_info": "\\ud800"}'}
    assert call(client, GET_RESULT, body).json()["data"]["status"] == "done"


def test_an_access_key_mapped_to_a_scenario_gets_it_on_every_submit() -> None:
    limited = KeyPair("AKLTlimited", "s1")
    keys = frozenset({str(PAIR), str(limited)})
    with make_client(seed=0, api_keys=keys, scenario_keys={limited.access_key: "volcengine_50430"}) as client:
        refused = call(client, SUBMIT, {"req_key": T2V, "prompt": "a cat"}, pair=limited)
        assert business_error(refused, 429)[0] == 50430
        task_id_of(submit(client, prompt="a cat"))  # the other key is not limited


@pytest.mark.parametrize("concurrency", [0, 33, "2", 1.5])
def test_a_concurrency_outside_1_to_32_is_refused_at_start(concurrency: object) -> None:
    with pytest.raises(SettingsError, match="concurrency"):
        Settings(clock="virtual", provider_options={"volcengine": {"concurrency": concurrency}})
