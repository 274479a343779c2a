"""POST /v1/videos: the seed's fields, defaults and response shape, multipart and JSON."""

from __future__ import annotations

import base64

import pytest

from tests.gateways.octopusx.support import VIDEOS, create, created_id, image_bytes
from tests.support import AUTH, ContractClient


def task_request(client: ContractClient, video_id: str) -> dict[str, object]:
    request: dict[str, object] = client.get(f"/__admin/tasks/{video_id}").json()["request"]
    return request


def test_response_is_exactly_the_seed_shape(client: ContractClient) -> None:
    response = create(client, seconds="5", size="1280x720")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "task_id", "object", "model", "status", "progress", "created_at"}
    assert body["id"] == body["task_id"] and body["id"].startswith("video_")
    assert body["object"] == "video"
    assert body["model"] == "jimeng-video-3.0"
    assert body["status"] == "queued" and body["progress"] == 0
    assert body["created_at"] == int(client.runtime.clock.now())
    assert response.headers["x-oneapi-request-id"]


@pytest.mark.parametrize("model", ["jimeng-video-3.0", "jimeng-video-2.0"])
def test_both_documented_models(client: ContractClient, model: str) -> None:
    response = create(client, model=model)
    assert response.json()["model"] == model
    assert task_request(client, created_id(response))["model"] == model


@pytest.mark.parametrize(
    "prompt", ["猫咪在草地上追逐蝴蝶", "A cat chases butterflies on the grass", "让人物向前走并微笑 and smile"]
)
def test_chinese_and_english_prompts(client: ContractClient, prompt: str) -> None:
    assert task_request(client, created_id(create(client, prompt=prompt)))["prompt"] == prompt


def test_defaults_are_5_seconds_and_720x1280(client: ContractClient) -> None:
    request = task_request(client, created_id(create(client)))
    assert (request["seconds"], request["size"], request["width"], request["height"]) == ("5", "720x1280", 720, 1280)
    assert (request["frames"], request["fps"], request["mode"]) == (121, 24, "text2video")


@pytest.mark.parametrize(("seconds", "frames"), [("5", 121), ("10", 241), ("15", 361)])
def test_seconds(client: ContractClient, seconds: str, frames: int) -> None:
    request = task_request(client, created_id(create(client, seconds=seconds)))
    assert (request["seconds"], request["frames"]) == (seconds, frames)


@pytest.mark.parametrize(("size", "width", "height"), [("720x1280", 720, 1280), ("1280x720", 1280, 720)])
def test_sizes(client: ContractClient, size: str, width: int, height: int) -> None:
    request = task_request(client, created_id(create(client, size=size)))
    assert (request["width"], request["height"]) == (width, height)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_input_reference_formats(client: ContractClient, fmt: str) -> None:
    response = create(client, files=[("photo.bin", image_bytes(fmt=fmt))], prompt="让人物向前走并微笑")
    request = task_request(client, created_id(response))
    assert (request["mode"], request["references"]) == ("image2video", 1)


def test_input_reference_is_judged_by_its_bytes_not_its_name(client: ContractClient) -> None:
    assert create(client, files=[("image.gif", image_bytes(fmt="PNG"))]).status_code == 200
    refused = create(client, files=[("image.png", image_bytes(fmt="GIF"))])
    assert refused.status_code == 400
    assert "input_reference is GIF: only png, jpeg, jpg and webp are accepted" in refused.json()["message"]


def test_two_reference_files_make_a_first_and_last_frame_video(client: ContractClient) -> None:
    files = [("first.png", image_bytes()), ("last.jpg", image_bytes(fmt="JPEG"))]
    request = task_request(client, created_id(create(client, files=files)))
    assert (request["mode"], request["references"]) == ("first_last_frame", 2)


def test_json_body_is_accepted(client: ContractClient) -> None:
    body = {"model": "jimeng-video-2.0", "prompt": "a cat", "seconds": "10", "size": "1280x720"}
    response = client.post(VIDEOS, json=body, headers=AUTH)
    request = task_request(client, created_id(response))
    assert response.json()["status"] == "queued"
    assert (request["seconds"], request["size"], request["route"]) == ("10", "1280x720", "videos")


@pytest.mark.parametrize(
    "reference",
    [
        "https://example.com/first.png",
        {"image_url": "https://example.com/first.png"},
        "data:image/png;base64," + base64.b64encode(image_bytes()).decode(),
    ],
)
def test_json_input_reference_forms(client: ContractClient, reference: object) -> None:
    body = {"model": "jimeng-video-3.0", "prompt": "a cat", "input_reference": reference}
    request = task_request(client, created_id(client.post(VIDEOS, json=body, headers=AUTH)))
    assert request["mode"] == "image2video"


def test_urlencoded_form_is_accepted(client: ContractClient) -> None:
    response = client.post(VIDEOS, data={"model": "jimeng-video-3.0", "prompt": "a cat"}, headers=AUTH)
    assert response.status_code == 200 and response.json()["status"] == "queued"


def test_ids_are_unique_and_deterministic() -> None:
    from tests.support import make_client

    runs = []
    for _ in range(2):
        with make_client(seed=7) as client:
            runs.append([created_id(create(client)) for _ in range(3)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3
