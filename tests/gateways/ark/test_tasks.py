"""Ark's task routes over HTTP, every answer validated against contracts/specs/ark.yaml (ContractClient)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.contracts.contract import load_contract
from mockserver.gateways.ark.models import Catalogue
from tests.gateways.ark.helpers import AUTH, PRO, TASKS, create_body
from tests.support import ContractClient, deleted_meanwhile, make_client, png_base64


@pytest.fixture
def client() -> Iterator[ContractClient]:
    with make_client(providers=("ark",)) as client:
        yield client


def create(client: ContractClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> str:
    response = client.post(TASKS, json=body, headers=headers or AUTH)
    assert response.status_code == 200, response.text
    task_id: str = response.json()["id"]
    return task_id


def get(client: ContractClient, task_id: str) -> dict[str, Any]:
    response = client.get(f"{TASKS}/{task_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def finish(client: ContractClient, task_id: str, state: str = "succeeded") -> None:
    clock = client.runtime.clock
    for _ in range(200):
        view = client.runtime.engine.peek(task_id)
        assert view is not None
        if view.state == state:
            return
        clock.advance(10)
    raise AssertionError(f"{task_id} never became {state}")


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert error["message"].endswith(response.headers["X-Request-Id"])
    return error


def test_a_task_goes_queued_running_succeeded_with_every_field(client: ContractClient) -> None:
    task_id = create(client, create_body(resolution="720p", ratio="9:16", duration=10, seed=42, return_last_frame=True))
    assert re.fullmatch(r"cgt-20260101000000-[a-z0-9]{5}", task_id)
    first = get(client, task_id)
    assert first["status"] == "queued" and first["created_at"] == first["updated_at"] == 1767225600
    assert "content" not in first and "error" not in first
    assert (first["seed"], first["ratio"], first["resolution"], first["duration"]) == (42, "9:16", "720p", 10)
    assert (first["framespersecond"], first["service_tier"], first["execution_expires_after"]) == (
        24,
        "default",
        172800,
    )
    seen = {first["status"]}
    for _ in range(100):
        client.runtime.clock.advance(5)
        body = get(client, task_id)
        seen.add(body["status"])
        if body["status"] == "succeeded":
            break
    assert seen == {"queued", "running", "succeeded"}
    assert body["updated_at"] > body["created_at"]
    assert body["usage"] == {
        "completion_tokens": 704 * 1248 * 24 * 10 // 1024,
        "total_tokens": 704 * 1248 * 24 * 10 // 1024,
    }
    video = client.get(body["content"]["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    still = client.get(body["content"]["last_frame_url"])
    assert still.status_code == 200 and still.headers["content-type"] == "image/png"


def test_sizes_follow_the_model_family_and_ratio() -> None:
    catalogue = Catalogue.from_contract(load_contract("ark"))
    assert catalogue.size_table(catalogue.models[PRO])["720p"]["16:9"] == (1248, 704)
    assert catalogue.size_table(catalogue.models["doubao-seedance-1-5-pro-251215"])["720p"]["16:9"] == (1280, 720)


def test_defaults_per_model(client: ContractClient) -> None:
    pro = get(client, create(client, create_body()))
    assert (pro["resolution"], pro["ratio"], pro["duration"]) == ("1080p", "16:9", 5)
    assert "generate_audio" not in pro
    audio = get(client, create(client, create_body("doubao-seedance-1-5-pro-251215")))
    assert (audio["resolution"], audio["generate_audio"], audio["draft"]) == ("720p", True, False)
    chosen = get(client, create(client, create_body("doubao-seedance-2-0-260128", duration=-1)))
    assert chosen["duration"] == 5 and chosen["generate_audio"] is True


def test_frames_are_reported_in_place_of_duration(client: ContractClient) -> None:
    body = get(client, create(client, create_body(frames=121)))
    assert body["frames"] == 121 and "duration" not in body


def test_adaptive_ratio_follows_the_first_frame(client: ContractClient) -> None:
    image = {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + png_base64(600, 1000)},
        "role": "first_frame",
    }
    body = create_body(resolution="480p")
    body["content"].append(image)
    task = get(client, create(client, body))
    assert task["ratio"] == "9:16"


@pytest.mark.parametrize(
    ("fields", "param", "reason"),
    [
        ({"duration": 13}, "duration", "from 2 to 12 seconds for doubao-seedance-1-0-pro-250528"),
        ({"frames": 30}, "frames", "25 + 4n"),
        ({"model": "doubao-seedance-2-0-260128", "service_tier": "flex"}, "service_tier", "flex is not available"),
        ({"model": "doubao-seedance-2-0-fast-260128", "resolution": "1080p"}, "resolution", "480p or 720p"),
        ({"model": "doubao-seedance-2-0-260128", "frames": 121}, "frames", "Seedance 1.0 models"),
        ({"execution_expires_after": 100}, "execution_expires_after", "3600 to 259200"),
        ({"generate_audio": True}, "generate_audio", "not supported by doubao-seedance-1-0-pro-250528"),
        ({"ratio": "2:1"}, "ratio", "21:9, 16:9"),
        ({"seed": -2}, "seed", "-1 (random)"),
        ({"callback_url": "ftp://example.com/x"}, "callback_url", "http(s) URL"),
        ({"callback_url": "https://example.com/hook"}, "callback_url", "callback_hosts"),
    ],
)
def test_invalid_parameters_name_their_param(
    client: ContractClient, fields: dict[str, Any], param: str, reason: str
) -> None:
    response = client.post(TASKS, json=create_body(**fields), headers=AUTH)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["param"], error["type"]) == ("InvalidParameter", param, "BadRequest")
    assert reason in error["message"]


def reference(kind: str, role: str, url: str = "https://example.com/a") -> dict[str, Any]:
    return {"type": kind, kind: {"url": url}, "role": role}


@pytest.mark.parametrize(
    ("model", "items", "reason"),
    [
        (
            "doubao-seedance-2-0-260128",
            [reference("image_url", "first_frame"), reference("image_url", "reference_image")],
            "cannot be mixed",
        ),
        ("doubao-seedance-2-0-260128", [reference("image_url", "reference_image")] * 10, "at most 9 images"),
        ("doubao-seedance-2-0-260128", [reference("video_url", "reference_video")] * 4, "at most 3 reference videos"),
        (
            "doubao-seedance-2-0-260128",
            [reference("audio_url", "reference_audio")],
            "needs at least one image or video",
        ),
        ("doubao-seedance-2-0-260128", [reference("image_url", "last_frame")], "needs a first_frame"),
        ("doubao-seedance-1-0-lite-t2v-250428", [reference("image_url", "first_frame")], "text-to-video"),
        (
            "doubao-seedance-1-0-pro-fast-251015",
            [reference("image_url", "first_frame"), reference("image_url", "last_frame")],
            "not last_frame",
        ),
        (PRO, [reference("video_url", "reference_video")], "takes no reference video"),
        (PRO, [reference("image_url", "reference_image")], "not reference_image"),
        ("doubao-seedance-1-0-lite-i2v-250428", [], "needs an image"),
        (
            "doubao-seedance-1-0-lite-i2v-250428",
            [reference("image_url", "reference_image")] * 5,
            "at most 4 reference images",
        ),
        ("doubao-seedance-1-5-pro-251215", [], "from 4 to 12"),
    ],
)
def test_content_rules(client: ContractClient, model: str, items: list[dict[str, Any]], reason: str) -> None:
    body = create_body(model, duration=2) if reason == "from 4 to 12" else create_body(model)
    body["content"] += items
    response = client.post(TASKS, json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    assert reason in error_of(response)["message"]


def test_a_full_reference_request_of_seedance_2(client: ContractClient) -> None:
    body = create_body("doubao-seedance-2-0-260128", duration=15, generate_audio=False)
    body["content"] += [reference("image_url", "reference_image")] * 9 + [reference("video_url", "reference_video")] * 3
    body["content"] += [reference("audio_url", "reference_audio")] * 3
    assert get(client, create(client, body))["generate_audio"] is False


def test_nulls_are_absent_and_a_null_model_is_missing(client: ContractClient) -> None:
    nulls = dict.fromkeys(("callback_url", "seed", "tools", "safety_identifier", "priority", "draft", "frames"))
    assert get(client, create(client, {**create_body(), **nulls}))["status"] == "queued"
    response = client.post(TASKS, json={**create_body(), "model": None}, headers=AUTH)
    assert response.status_code == 400
    assert (error_of(response)["code"], error_of(response)["param"]) == ("MissingParameter", "model")
    response = client.post(TASKS, json={"model": PRO}, headers=AUTH)
    assert error_of(response)["param"] == "content"


def test_unknown_model_and_authentication(client: ContractClient) -> None:
    response = client.post(TASKS, json=create_body("doubao-seedance-9"), headers=AUTH)
    assert response.status_code == 404 and error_of(response)["code"] == "InvalidEndpointOrModel.NotFound"
    for headers in ({}, {"Authorization": "Basic abc"}):
        response = client.post(TASKS, json=create_body(), headers=headers)
        assert response.status_code == 401
        assert (error_of(response)["code"], error_of(response)["type"]) == ("AuthenticationError", "Unauthorized")


def test_malformed_bodies_are_invalid_parameters(client: ContractClient) -> None:
    for raw in (b"{", b"[]", b""):
        response = client.post(TASKS, content=raw, headers={**AUTH, "Content-Type": "application/json"})
        assert response.status_code == 400 and error_of(response)["code"] == "InvalidParameter"
        assert error_of(response)["message"].lower().count("request body") == 1  # said once, not twice


def test_another_keys_task_is_not_found(client: ContractClient) -> None:
    task_id = create(client, create_body())
    response = client.get(f"{TASKS}/{task_id}", headers={"Authorization": "Bearer someone-else"})
    assert response.status_code == 404 and error_of(response)["code"] == "ResourceNotFound"


def test_delete_cancels_a_queued_task_which_is_gone_a_day_later(client: ContractClient) -> None:
    task_id = create(client, create_body())
    response = client.delete(f"{TASKS}/{task_id}", headers=AUTH)
    assert response.status_code == 200 and response.json() == {}
    assert get(client, task_id)["status"] == "cancelled"
    again = client.delete(f"{TASKS}/{task_id}", headers=AUTH)
    assert again.status_code == 400 and "cancelled task" in error_of(again)["message"]
    client.runtime.clock.advance(86400 + 1)
    assert client.get(f"{TASKS}/{task_id}", headers=AUTH).status_code == 404


def test_a_cancel_that_finds_the_task_cancelled_meanwhile_is_refused_as_the_second(client: ContractClient) -> None:
    task_id = create(client, create_body())
    engine = client.runtime.engine
    end = engine.end

    def cancelled_meanwhile(*args: Any) -> Any:  # another worker's cancel lands between the read and this one
        assert end(*args) is not None
        return end(*args)

    engine.end = cancelled_meanwhile  # type: ignore[method-assign,assignment]
    response = client.delete(f"{TASKS}/{task_id}", headers=AUTH)
    assert response.status_code == 400 and "cancelled task" in error_of(response)["message"]
    assert get(client, task_id)["status"] == "cancelled"


def test_delete_refuses_a_running_task_and_removes_a_finished_one(client: ContractClient) -> None:
    task_id = create(client, create_body())
    finish(client, task_id, "running")
    refused = client.delete(f"{TASKS}/{task_id}", headers=AUTH)
    assert refused.status_code == 400 and error_of(refused)["param"] == "task_id"
    finish(client, task_id)
    assert client.delete(f"{TASKS}/{task_id}", headers=AUTH).status_code == 200
    assert client.get(f"{TASKS}/{task_id}", headers=AUTH).status_code == 404


def test_a_delete_that_finds_the_finished_task_deleted_meanwhile_is_a_404(client: ContractClient) -> None:
    task_id = create(client, create_body())
    finish(client, task_id)
    deleted_meanwhile(client)
    refused = client.delete(f"{TASKS}/{task_id}", headers=AUTH)
    assert refused.status_code == 404 and error_of(refused)["code"] == "ResourceNotFound"


def test_a_task_not_finished_by_execution_expires_after_is_expired(client: ContractClient) -> None:
    task_id = create(
        client, create_body(execution_expires_after=3600), headers={**AUTH, "X-Mock-Scenario": "ark_expires"}
    )
    client.runtime.clock.advance(3599)
    assert get(client, task_id)["status"] == "running"
    client.runtime.clock.advance(2)
    body = get(client, task_id)
    assert body["status"] == "expired" and body["error"]["code"] == "TaskExpired"
    assert body["updated_at"] == body["created_at"] + 3600


def test_urls_live_24_hours_and_ids_7_days(client: ContractClient) -> None:
    task_id = create(client, create_body())
    finish(client, task_id)
    url = get(client, task_id)["content"]["video_url"]
    client.runtime.clock.advance(86400 + 60)
    assert client.get(url).status_code == 403
    assert get(client, task_id)["status"] == "succeeded"
    client.runtime.clock.advance(7 * 86400)
    assert client.get(f"{TASKS}/{task_id}", headers=AUTH).status_code == 404


def test_list_pages_filters_and_counts(client: ContractClient) -> None:
    done = create(client, create_body())
    finish(client, done)
    cancelled, queued = create(client, create_body()), create(client, create_body())
    assert client.delete(f"{TASKS}/{cancelled}", headers=AUTH).status_code == 200
    two = create(client, create_body("doubao-seedance-2-0-260128"))
    listed = client.get(TASKS, params={"page_size": 2}, headers=AUTH).json()
    assert listed["total"] == 4 and [t["id"] for t in listed["items"]] == [two, queued]
    second = client.get(TASKS, params={"page_size": 2, "page_num": 2}, headers=AUTH).json()
    assert [t["id"] for t in second["items"]] == [cancelled, done]
    by_model = client.get(TASKS, params={"filter.model": "doubao-seedance-2-0-260128"}, headers=AUTH).json()
    assert [t["id"] for t in by_model["items"]] == [two]
    by_ids = client.get(TASKS, params=[("filter.task_ids", done), ("filter.task_ids", two)], headers=AUTH).json()
    assert by_ids["total"] == 2
    for status, expected in (("succeeded", [done]), ("cancelled", [cancelled]), ("queued", [two, queued])):
        found = client.get(TASKS, params={"filter.status": status}, headers=AUTH).json()
        assert [t["id"] for t in found["items"]] == expected
    assert client.get(TASKS, params={"filter.service_tier": "flex"}, headers=AUTH).json() == {"total": 0, "items": []}
    assert client.get(TASKS, headers={"Authorization": "Bearer other"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("name", "value"), [("page_size", "0"), ("page_size", "501"), ("page_num", "x"), ("filter.status", "done")]
)
def test_list_refuses_bad_parameters(client: ContractClient, name: str, value: str) -> None:
    response = client.get(TASKS, params={name: value}, headers=AUTH)
    assert response.status_code == 400 and error_of(response)["param"] == name


def test_unknown_routes_answer_in_arks_shape(client: ContractClient) -> None:
    response = client.get("/ark/api/v3/nothing", headers=AUTH)
    assert response.status_code == 404 and error_of(response)["type"] == "NotFound"
    response = client.put(TASKS, headers=AUTH)
    assert response.status_code == 404


def test_a_task_keeps_no_key_the_admin_api_could_show(client: ContractClient) -> None:
    key = "sk-ark-kept-secret"
    created = client.post(TASKS, json=create_body(), headers={"Authorization": f"Bearer {key}"})
    task_id = created.json()["id"]
    for path in (f"/__admin/tasks/{task_id}", f"/__admin/tasks/{task_id}/timeline", "/__admin/tasks"):
        answer = client.get(path)
        assert answer.status_code == 200 and key not in answer.text, path
    assert client.get(f"{TASKS}/{task_id}", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get(f"{TASKS}/{task_id}", headers={"Authorization": "Bearer sk-other"}).status_code == 404
