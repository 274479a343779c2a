"""The library's ark_* scenarios and the generic ones, as Ark answers them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateways.ark.helpers import AUTH, TASKS, create_body
from tests.support import ContractClient, make_client


@pytest.fixture
def client() -> Iterator[ContractClient]:
    with make_client(providers=("ark",)) as client:
        yield client


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("ark_sensitive_content", 400, "SensitiveContentDetected"),
        ("ark_sensitive_content_severe", 400, "SensitiveContentDetected.SevereViolation"),
        ("ark_sensitive_content_violence", 400, "SensitiveContentDetected.Violence"),
        ("ark_input_text_sensitive", 400, "InputTextSensitiveContentDetected"),
        ("ark_input_image_sensitive", 400, "InputImageSensitiveContentDetected"),
        ("ark_input_image_privacy", 400, "InputImageSensitiveContentDetected.PrivacyInformation"),
        ("ark_rate_limited", 429, "RateLimitExceeded.EndpointRPMExceeded"),
        ("ark_rate_limited_tpm", 429, "RateLimitExceeded.EndpointTPMExceeded"),
        ("ark_server_overloaded", 429, "ServerOverloaded"),
        ("ark_account_overdue", 403, "AccountOverdueError"),
        ("ark_model_not_open", 404, "ModelNotOpen"),
        ("input_moderation", 400, "SensitiveContentDetected"),
        ("rate_limited", 429, "RateLimitExceeded.EndpointRPMExceeded"),
        ("credits_exhausted", 403, "AccountOverdueError"),
    ],
)
def test_refusals_at_create(client: ContractClient, scenario: str, status: int, code: str) -> None:
    response = client.post(TASKS, json=create_body(), headers={**AUTH, "X-Mock-Scenario": scenario})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if status == 429:
        assert response.headers["Retry-After"] == "1"


def test_the_prompt_tag_selects_a_scenario_and_leaves_the_prompt(client: ContractClient) -> None:
    response = client.post(TASKS, json=create_body(prompt="[[mock:ark_sensitive_content]] a cat"), headers=AUTH)
    assert response.json()["error"]["code"] == "SensitiveContentDetected"
    task_id = client.post(TASKS, json=create_body(prompt="[[mock:instant]] a cat"), headers=AUTH).json()["id"]
    assert client.runtime.engine.peek(task_id).task.request["prompt"] == "a cat"  # type: ignore[union-attr]
    unknown = client.post(TASKS, json=create_body(prompt="[[mock:no_such]] a cat"), headers=AUTH)
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "InvalidParameter"


@pytest.mark.parametrize("scenario", ["ark_output_video_sensitive", "moderation_fail"])
def test_output_moderation_fails_the_task(client: ContractClient, scenario: str) -> None:
    task_id = client.post(TASKS, json=create_body(), headers={**AUTH, "X-Mock-Scenario": scenario}).json()["id"]
    client.runtime.clock.advance(3600)
    body = client.get(f"{TASKS}/{task_id}", headers=AUTH).json()
    assert body["status"] == "failed" and "content" not in body
    assert body["error"]["code"] == "OutputVideoSensitiveContentDetected"


def test_video_not_ready_right_after_success(client: ContractClient) -> None:
    task_id = client.post(TASKS, json=create_body(), headers={**AUTH, "X-Mock-Scenario": "ark_video_not_ready"}).json()[
        "id"
    ]
    clock = client.runtime.clock
    while client.runtime.engine.peek(task_id).state != "succeeded":  # type: ignore[union-attr]
        clock.advance(1)
    url = client.get(f"{TASKS}/{task_id}", headers=AUTH).json()["content"]["video_url"]
    early = client.get(url)
    assert early.status_code == 400 and early.json()["error"]["code"] == "video_not_ready"
    clock.advance(3)
    assert client.get(url).status_code == 200


def test_scripted_poll_errors_take_arks_shape(client: ContractClient) -> None:
    task_id = client.post(TASKS, json=create_body(), headers={**AUTH, "X-Mock-Scenario": "third_poll_503"}).json()["id"]
    answers = [client.get(f"{TASKS}/{task_id}", headers=AUTH) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 503]
    assert answers[2].json()["error"]["code"] == "InternalServiceError"
