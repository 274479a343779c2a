"""The Volcengine business error catalogue, each code reachable with the mock-only `X-Mock-Error` header.

The table below is copied from upstream's documentation (reference gateways.md, B.1), independently of the
contract, so a wrong status, message or retry flag in either place fails here.
"""

from __future__ import annotations

import pytest

from mockserver.contracts import load_contract
from mockserver.providers.gptge.models import error_table
from tests.gptge.helpers import BASE, data_of, i2v, poll, run_to_end, t2v, task_id_of
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


def test_the_contract_catalogue_is_upstreams() -> None:
    table = error_table(load_contract("gptge").extension("x-errors"))
    assert {int(trigger) for trigger in table} == set(UPSTREAM)
    for trigger, error in table.items():
        assert error.code == int(trigger)
        assert (error.http_status, error.message, error.retryable, error.at) == UPSTREAM[error.code]


def test_success_is_code_10000_in_the_catalogue() -> None:
    success = load_contract("gptge").errors["success"]
    assert (success["http_status"], success["code"], success["message"]) == (200, 10000, "Success")


@pytest.mark.parametrize("code", AT_SUBMIT)
@pytest.mark.parametrize("route", ["text2video", "image2video"])
def test_submit_errors_refuse_the_submit(client: ContractClient, code: int, route: str) -> None:
    submit = t2v if route == "text2video" else i2v
    response = submit(client, headers={"X-Mock-Error": str(code)}, image_urls=["https://example.com/a.png"])
    status, message, _, _ = UPSTREAM[code]
    assert response.status_code == status
    body = response.json()
    assert (body["code"], body["status"], body["message"], body["data"]) == (code, code, message, None)
    assert client.get("/__admin/tasks").json()["total"] == 0


@pytest.mark.parametrize("code", AT_TASK)
def test_task_errors_fail_the_task_when_generation_ends(client: ContractClient, code: int) -> None:
    task_id = task_id_of(t2v(client, headers={"X-Mock-Error": str(code)}))
    assert data_of(client, task_id)["status"] == "in_queue"
    seen = run_to_end(client, task_id)
    assert "generating" in seen and seen[-1] == "done"
    response = poll(client, task_id)
    status, message, _, _ = UPSTREAM[code]
    assert response.status_code == status
    body = response.json()
    assert (body["code"], body["status"], body["message"]) == (code, code, message)
    assert body["data"] == {
        "binary_data_base64": [],
        "image_urls": None,
        "resp_data": "",
        "status": "done",
        "video_url": "",
    }
    assert client.get(f"/__admin/tasks/{task_id}").json()["scenario"] == f"X-Mock-Error: {code}"


def test_50500_the_video_failed_moderation_and_stays_failed(client: ContractClient) -> None:
    task_id = task_id_of(i2v(client, headers={"X-Mock-Error": "50500"}, image_urls=["https://example.com/a.png"]))
    run_to_end(client, task_id)
    for _ in range(3):
        client.runtime.clock.advance(600)
        assert poll(client, task_id).json()["code"] == 50500


@pytest.mark.parametrize("value", ["12345", "10000", "50215", "50400", "abc", ""])
def test_an_unknown_trigger_is_refused_naming_the_codes(client: ContractClient, value: str) -> None:
    response = t2v(client, headers={"X-Mock-Error": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 50215
    assert f"X-Mock-Error {value!r} is not a code the mock can raise" in body["message"]
    assert all(str(code) in body["message"] for code in UPSTREAM)


def test_input_errors_come_before_a_triggered_business_error(client: ContractClient) -> None:
    response = t2v(client, headers={"X-Mock-Error": "50412"}, prompt="x" * 151)
    assert response.json()["code"] == 50215


def test_the_trigger_header_is_ignored_on_polls(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client))
    response = client.get(f"{BASE}/task/{task_id}", headers={**AUTH, "X-Mock-Error": "50429"})
    assert response.status_code == 200 and response.json()["code"] == 10000


def test_without_a_trigger_tasks_succeed(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client))
    run_to_end(client, task_id)
    assert poll(client, task_id).json()["code"] == 10000
