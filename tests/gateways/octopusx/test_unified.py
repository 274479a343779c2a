"""The unified entry: POST /v1/video/create (JSON) and GET /v1/video/query?id=."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.gateways.octopusx.views import go_time
from tests.gateways.octopusx.support import BASE, VIDEOS, create, created_id, error_body, retrieve
from tests.support import AUTH, ContractClient

CREATE = f"{BASE}/video/create"
QUERY = f"{BASE}/video/query"


def unified(client: ContractClient, **body: Any) -> dict[str, Any]:
    body.setdefault("model", "jimeng-video-3.0")
    body.setdefault("prompt", "cat fish")
    body.setdefault("images", [])
    response = client.post(CREATE, json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def query(client: ContractClient, task_id: str) -> dict[str, Any]:
    response = client.get(QUERY, params={"id": task_id}, headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_response_shape(client: ContractClient) -> None:
    body = unified(client, aspect_ratio="16:9", size="1080P")
    assert set(body) == {"created_at", "status", "task_id"}
    assert body["status"] == "processing"
    assert body["created_at"] == go_time(client.runtime.clock.now()) == "2026-01-01T08:00:00+08:00"


def test_go_time_keeps_nanoseconds_and_drops_trailing_zeros() -> None:
    assert go_time(1762614477.25) == "2025-11-08T23:07:57.25+08:00"
    assert go_time(1762614477 + 2**-20) == "2025-11-08T23:07:57.000000954+08:00"
    assert go_time(1762614477.5) == "2025-11-08T23:07:57.5+08:00"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (1920, 1080, 121, "text2video")),
        ({"size": "720P", "aspect_ratio": "9:16", "duration": 10}, (720, 1280, 241, "text2video")),
        ({"size": "720P", "aspect_ratio": "21:9"}, (1470, 630, 121, "text2video")),
        ({"aspect_ratio": "4:3"}, (1664, 1248, 121, "text2video")),
        ({"aspect_ratio": "1:1", "images": ["https://example.com/a.webp"]}, (1440, 1440, 121, "image2video")),
        ({"images": ["https://a/1.png", "https://a/2.jpg"]}, (1920, 1080, 121, "first_last_frame")),
    ],
)
def test_sizes_durations_and_modes(client: ContractClient, body: dict[str, Any], expected: tuple[Any, ...]) -> None:
    task_id = unified(client, **body)["task_id"]
    request = client.get(f"/__admin/tasks/{task_id}").json()["request"]
    assert (request["width"], request["height"], request["frames"], request["mode"]) == expected


def test_query_through_completion(client: ContractClient) -> None:
    task_id = unified(client, size="720P", aspect_ratio="16:9")["task_id"]
    first = query(client, task_id)
    assert first == {"id": task_id, "status": "processing", "progress": 0, "created_at": 1767225600}
    seen = [first]
    while seen[-1]["status"] == "processing":
        client.runtime.clock.advance(5)
        seen.append(query(client, task_id))
    done = seen[-1]
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["completed_at"] >= done["created_at"]
    video = client.get(done["video_url"])
    thumbnail = client.get(done["thumbnail"])
    assert video.headers["content-type"] == "video/mp4"
    assert thumbnail.headers["content-type"] == "image/webp"
    client.runtime.clock.advance(3600)
    assert client.get(done["video_url"]).status_code == 403
    assert client.get(done["thumbnail"]).status_code == 403


def test_query_of_a_failed_task(client: ContractClient) -> None:
    task_id = unified(client, prompt="[[mock:octopusx_moderation]] cat")["task_id"]
    client.runtime.clock.advance(3600)
    body = query(client, task_id)
    assert body["status"] == "failed" and body["fail_reason"] == "视频生成结果未通过审核"
    assert "video_url" not in body and "completed_at" not in body


def test_both_routes_read_the_same_tasks(client: ContractClient) -> None:
    unified_id = unified(client)["task_id"]
    video_id = created_id(create(client))
    assert retrieve(client, unified_id)["status"] == "queued"
    assert query(client, video_id)["status"] == "processing"
    assert {v["id"] for v in client.get(VIDEOS, headers=AUTH).json()["data"]} == {unified_id, video_id}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"images": None}, "images takes []"),
        ({"images": ["a", "b", "c"]}, "images takes []"),
        ({"images": ["ftp://a/1.png"]}, "images[] must be http(s) URLs"),
        ({"model": "jimeng-video-1.0"}, "model 'jimeng-video-1.0' is not supported"),
        ({"prompt": ""}, "prompt must be 1 to 800 characters"),
        ({"aspect_ratio": "2:1"}, "aspect_ratio '2:1' is not supported"),
        ({"size": "4K"}, "size '4K' is not supported: use 720P or 1080P"),
        ({"duration": 15}, "duration 15 is not supported: use 5 or 10"),
        ({"duration": "5"}, "duration '5' is not supported"),
    ],
)
def test_create_rules(client: ContractClient, body: dict[str, Any], fragment: str) -> None:
    full = {"model": "jimeng-video-3.0", "prompt": "cat", "images": []} | body
    response = error_body(client.post(CREATE, json=full, headers=AUTH), 400)
    assert response["code"] == "invalid_request" and fragment in response["message"]


def test_images_is_required(client: ContractClient) -> None:
    body = error_body(client.post(CREATE, json={"model": "jimeng-video-3.0", "prompt": "a"}, headers=AUTH), 400)
    assert "'images' is a required property" in body["message"]


def test_create_needs_a_json_object(client: ContractClient) -> None:
    body = error_body(client.post(CREATE, content=b"[]", headers={**AUTH, "content-type": "application/json"}), 400)
    assert body["message"] == "request body must be a JSON object"


def test_query_errors(client: ContractClient) -> None:
    missing = error_body(client.get(QUERY, headers=AUTH), 400)
    assert missing["code"] == "invalid_request" and "id is required" in missing["message"]
    unknown = error_body(client.get(QUERY, params={"id": "48038932-0ff5-4251-8b4b-7a76c09fd114"}, headers=AUTH), 400)
    assert unknown == {"code": "task_not_exist", "message": "task_not_exist", "data": None}
