"""The Volcengine business error catalogue, each code reachable through its library scenario gptge_<code>.

The table below is copied from upstream's documentation (reference gateways.md, B.1), independently of the
contract, so a wrong status, message or retry flag in either place fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.contracts.contract import load_contract
from mockserver.scenarios import ScenarioLibrary
from tests.gateways.gptge.helpers import BASE, data_of, i2v, poll, run_to_end, t2v, task_id_of
from tests.support import AUTH, ContractClient

# code: (HTTP status, message, retryable, raised at)
UPSTREAM = {
    50411: (400, "Pre Img Risk Not Pass", False, "submit"),
    50511: (400, "Post Img Risk Not Pass", True, "task"),
    50412: (400, "Text Risk Not Pass", False, "submit"),
    50512: (400, "Post Text Risk Not Pass", False, "task"),
    50413: (400, "Post Text Risk Not Pass", False, "submit"),
    50513: (400, "Pre Video Risk Not Pass", False, "submit"),
    50514: (400, "Pre Audio Risk Not Pass", False, "submit"),
    50516: (400, "Post Video Risk Not Pass", True, "task"),
    50517: (400, "Post Audio Risk Not Pass", True, "task"),
    50518: (400, "Pre Img Risk Not Pass: Copyright", False, "submit"),
    50519: (400, "Post Img Risk Not Pass: Copyright", True, "task"),
    50520: (400, "Risk Internal Error", False, "submit"),
    50521: (400, "Antidirt Internal Error", False, "submit"),
    50522: (400, "Image Copyright Internal Error", False, "submit"),
    50429: (429, "Request Has Reached API Limit, Please Try Later", True, "submit"),
    50430: (429, "Request Has Reached API Concurrent Limit, Please Try Later", True, "submit"),
    50500: (500, "Internal Error", True, "task"),
    50501: (500, "Internal RPC Error", True, "task"),
}
AT_SUBMIT = [code for code, entry in UPSTREAM.items() if entry[3] == "submit"]
AT_TASK = [code for code, entry in UPSTREAM.items() if entry[3] == "task"]


FAILED_DATA: dict[str, Any] = {
    "binary_data_base64": [],
    "image_urls": None,
    "resp_data": "",
    "status": "done",
    "video_url": "",
}


def scenario(code: int | str) -> dict[str, str]:
    return {"X-Mock-Scenario": f"gptge_{code}"}


def catalogue() -> dict[int, dict[str, Any]]:
    return {e["code"]: e for e in load_contract("gptge").extension("x-errors") if e.get("at") in ("submit", "task")}


def test_the_contract_catalogue_is_upstreams() -> None:
    table = catalogue()
    assert set(table) == set(UPSTREAM)
    for code, entry in table.items():
        assert (entry["http_status"], entry["message"], entry["retryable"], entry["at"]) == UPSTREAM[code]


def test_each_code_has_its_library_scenario_split_by_when_upstream_raises_it() -> None:
    library = ScenarioLibrary.load()
    for code, entry in catalogue().items():
        found = library.get(f"gptge_{code}")
        assert found.providers == frozenset({"gptge"})
        if entry["at"] == "submit":
            assert (found.reject, found.fail) == (entry["name"], None)
        else:
            assert found.reject is None and found.fail is not None
            assert (found.fail.error, found.fail.at_progress) == (entry["name"], None)
    assert sorted(n for n in library.names() if n.startswith("gptge_")) == sorted(f"gptge_{c}" for c in UPSTREAM)


def test_success_is_code_10000_in_the_catalogue() -> None:
    success = load_contract("gptge").errors["success"]
    assert (success["http_status"], success["code"], success["message"]) == (200, 10000, "Success")


@pytest.mark.parametrize("code", AT_SUBMIT)
@pytest.mark.parametrize("route", ["text2video", "image2video"])
def test_submit_errors_refuse_the_submit(client: ContractClient, code: int, route: str) -> None:
    submit = t2v if route == "text2video" else i2v
    response = submit(client, headers=scenario(code), image_urls=["https://example.com/a.png"])
    status, message, _, _ = UPSTREAM[code]
    assert response.status_code == status
    body = response.json()
    assert (body["code"], body["status"], body["message"], body["data"]) == (code, code, message, None)
    assert ("retry-after" in response.headers) == (status == 429)
    assert client.get("/__admin/tasks").json()["total"] == 0


@pytest.mark.parametrize("code", [50429, 50430])
def test_limits_carry_retry_after(client: ContractClient, code: int) -> None:
    assert t2v(client, headers=scenario(code)).headers["retry-after"] == "1"


@pytest.mark.parametrize("code", AT_TASK)
def test_task_errors_fail_the_task_when_generation_ends(client: ContractClient, code: int) -> None:
    task_id = task_id_of(t2v(client, headers=scenario(code)))
    assert data_of(client, task_id)["status"] == "in_queue"
    seen = run_to_end(client, task_id)
    assert "generating" in seen and seen[-1] == "done"
    response = poll(client, task_id)
    status, message, _, _ = UPSTREAM[code]
    assert response.status_code == status
    body = response.json()
    assert (body["code"], body["status"], body["message"], body["data"]) == (code, code, message, FAILED_DATA)
    task = client.get(f"/__admin/tasks/{task_id}").json()
    assert (task["scenario"], task["progress"]) == (f"gptge_{code}", 99)


def test_50500_the_video_failed_moderation_and_stays_failed(client: ContractClient) -> None:
    task_id = task_id_of(i2v(client, headers=scenario(50500), image_urls=["https://example.com/a.png"]))
    run_to_end(client, task_id)
    for _ in range(3):
        client.runtime.clock.advance(600)
        assert poll(client, task_id).json()["code"] == 50500


def test_a_prompt_tag_selects_the_scenario_and_is_removed(client: ContractClient) -> None:
    refused = t2v(client, prompt="a cat [[mock:gptge_50413]]")
    assert (refused.status_code, refused.json()["code"]) == (400, 50413)
    task_id = task_id_of(t2v(client, prompt="[[mock:gptge_50501]] a cat", seed=5))
    assert run_to_end(client, task_id)[-1] == "done" and poll(client, task_id).json()["code"] == 50501
    assert client.get(f"/__admin/tasks/{task_id}").json()["request"]["prompt"] == "a cat"


def test_a_prompt_that_is_only_a_tag_is_an_empty_prompt(client: ContractClient) -> None:
    response = t2v(client, prompt="[[mock:gptge_50412]]")
    assert (response.status_code, response.json()["code"]) == (400, 50215)


@pytest.mark.parametrize("name", ["gptge_12345", "nope", "gptge_10000"])
def test_an_unknown_scenario_is_refused_naming_the_known_ones(client: ContractClient, name: str) -> None:
    response = t2v(client, headers={"X-Mock-Scenario": name})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["data"]) == (50215, None)
    assert f"unknown mock scenario {name!r}" in body["message"] and "gptge_50500" in body["message"]
    assert client.get("/__admin/tasks").json()["total"] == 0


def test_another_gateways_scenario_is_refused(client: ContractClient) -> None:
    client.post("/__admin/scenarios", json={"name": "elsewhere", "yaml": "description: x\nproviders: [octopusx]\n"})
    response = t2v(client, headers={"X-Mock-Scenario": "elsewhere"})
    assert response.status_code == 400
    assert response.json()["message"].endswith("does not apply to gptge")


def test_input_errors_come_before_a_scripted_refusal(client: ContractClient) -> None:
    response = t2v(client, headers=scenario(50412), prompt="x" * 151)
    assert response.json()["code"] == 50215


def test_a_scenario_header_on_a_poll_changes_nothing(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client))
    response = client.get(f"{BASE}/task/{task_id}", headers={**AUTH, **scenario(50429)})
    assert response.status_code == 200 and response.json()["code"] == 10000


def test_the_old_trigger_header_is_gone(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client, headers={"X-Mock-Error": "50412"}))
    run_to_end(client, task_id)
    assert poll(client, task_id).json()["code"] == 10000


def test_without_a_scenario_tasks_succeed(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client))
    run_to_end(client, task_id)
    assert poll(client, task_id).json()["code"] == 10000
