"""POST /crazyrouter/jimeng/submit/videos: every documented field, default and mode."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import AUTH, ContractClient, png_base64, submit

TEMPLATES = [
    "hitchcock_dolly_in",
    "hitchcock_dolly_out",
    "robo_arm",
    "dynamic_orbit",
    "central_orbit",
    "crane_push",
    "quick_pull_back",
    "counterclockwise_swivel",
    "clockwise_swivel",
    "handheld",
    "rapid_push_pull",
]


def task_request(client: ContractClient, task_id: str) -> dict[str, Any]:
    response = client.get(f"/__admin/tasks/{task_id}")
    assert response.status_code == 200
    request: dict[str, Any] = response.json()["request"]
    return request


def test_submit_answers_the_seed_shape(client: ContractClient) -> None:
    response = submit(client, prompt="A gentle camera push-in on an orange cat", duration=5, aspect_ratio="9:16")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["id", "task_id", "object", "model", "status", "progress", "created_at"]
    assert body["id"] == body["task_id"]
    assert body["id"].isdigit() and len(body["id"]) == 19
    assert (body["object"], body["model"], body["status"], body["progress"]) == ("video", "jimeng-video-3.0", "", 0)
    assert body["created_at"] == int(client.runtime.clock.now())
    assert response.headers["x-oneapi-request-id"]


def test_defaults_are_five_seconds_16_9_at_1080p(client: ContractClient) -> None:
    task_id = submit(client, prompt="a cat").json()["id"]
    request = task_request(client, task_id)
    assert (request["duration"], request["aspect_ratio"]) == (5, "16:9")
    assert (request["width"], request["height"], request["fps"], request["frames"]) == (1920, 1080, 24, 121)
    assert request["mode"] == "text2video"


@pytest.mark.parametrize(
    ("aspect_ratio", "size"),
    [
        ("16:9", (1920, 1080)),
        ("4:3", (1664, 1248)),
        ("1:1", (1440, 1440)),
        ("3:4", (1248, 1664)),
        ("9:16", (1080, 1920)),
        ("21:9", (2176, 928)),
    ],
)
def test_each_aspect_ratio_sets_the_1080p_size(
    client: ContractClient, aspect_ratio: str, size: tuple[int, int]
) -> None:
    task_id = submit(client, prompt="a cat", aspect_ratio=aspect_ratio).json()["id"]
    request = task_request(client, task_id)
    assert (request["width"], request["height"]) == size


@pytest.mark.parametrize(("duration", "frames"), [(5, 121), (10, 241)])
def test_duration_sets_the_frame_count(client: ContractClient, duration: int, frames: int) -> None:
    request = task_request(client, submit(client, prompt="a cat", duration=duration).json()["id"])
    assert (request["duration"], request["frames"]) == (duration, frames)


def test_single_image_by_url(client: ContractClient) -> None:
    response = submit(client, prompt="move", image_url="https://example.com/portrait.png", aspect_ratio="9:16")
    request = task_request(client, response.json()["id"])
    assert (request["mode"], request["image_source"], request["aspect_ratio"]) == ("image2video", "image_url", "9:16")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_single_image_by_base64_follows_the_image_aspect_ratio(client: ContractClient, fmt: str) -> None:
    image = png_base64(480, 640, fmt)  # 3:4 portrait, whatever aspect_ratio says
    response = submit(client, binary_data_base64=[image], aspect_ratio="16:9")
    assert response.status_code == 200, response.text
    request = task_request(client, response.json()["id"])
    assert (request["mode"], request["aspect_ratio"], request["width"], request["height"]) == (
        "image2video",
        "3:4",
        1248,
        1664,
    )


def test_data_uri_base64_is_accepted(client: ContractClient) -> None:
    response = submit(client, binary_data_base64=["data:image/png;base64," + png_base64(640, 640)])
    assert response.status_code == 200
    assert task_request(client, response.json()["id"])["aspect_ratio"] == "1:1"


def test_image_urls_with_one_entry_is_the_compatibility_form(client: ContractClient) -> None:
    response = submit(client, prompt="move", image_urls=["https://example.com/a.png"])
    assert response.status_code == 200
    assert task_request(client, response.json()["id"])["image_source"] == "image_urls"


def test_prompt_is_optional_with_an_image(client: ContractClient) -> None:
    assert submit(client, image_url="https://example.com/a.png").status_code == 200


@pytest.mark.parametrize("template_id", TEMPLATES)
@pytest.mark.parametrize("strength", ["weak", "medium", "strong"])
def test_single_image_recamera(client: ContractClient, template_id: str, strength: str) -> None:
    response = submit(
        client,
        prompt="Natural handheld push-in",
        image_url="https://example.com/portrait.png",
        duration=5,
        aspect_ratio="9:16",
        template_id=template_id,
        camera_strength=strength,
    )
    assert response.status_code == 200, response.text
    request = task_request(client, response.json()["id"])
    assert (request["mode"], request["template_id"], request["camera_strength"]) == ("recamera", template_id, strength)


@pytest.mark.parametrize(
    "req_key",
    [
        "jimeng_t2v_v30",
        "jimeng_t2v_v30_1080p",
        "jimeng_i2v_first_v30",
        "jimeng_i2v_first_v30_1080",
        "jimeng_i2v_recamera_v30",
        "jimeng_ti2v_v30_pro",
    ],
)
def test_req_key_is_accepted_for_debugging(client: ContractClient, req_key: str) -> None:
    response = submit(client, prompt="a cat", req_key=req_key)
    assert response.status_code == 200
    assert task_request(client, response.json()["id"])["req_key"] == req_key


@pytest.mark.parametrize(("frames", "duration"), [(121, 5), (241, 10)])
def test_supported_frames_behave_as_durations(client: ContractClient, frames: int, duration: int) -> None:
    request = task_request(client, submit(client, prompt="a cat", frames=frames).json()["id"])
    assert (request["duration"], request["frames"], request["unsupported_frames"]) == (duration, frames, None)


def test_unknown_fields_are_passed_over(client: ContractClient) -> None:
    assert submit(client, prompt="a cat", seed=42, watermark=False).status_code == 200


def test_ids_are_unique(client: ContractClient) -> None:
    ids = {submit(client, prompt=f"cat {n}").json()["id"] for n in range(50)}
    assert len(ids) == 50


def test_chinese_prompt(client: ContractClient) -> None:
    response = submit(client, prompt="一只橘猫在窗边打哈欠，柔和的晨光")
    assert response.status_code == 200
    assert task_request(client, response.json()["id"])["prompt"] == "一只橘猫在窗边打哈欠，柔和的晨光"


def test_root_mount_serves_the_same_gateway() -> None:
    from tests.support import make_client

    with make_client(root_provider="crazyrouter") as client:
        response = client.post("/jimeng/submit/videos", json={"model": "jimeng-video-3.0", "prompt": "a"}, headers=AUTH)
        assert response.status_code == 200
        task_id = response.json()["id"]
        assert client.get(f"/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]["status"] == "queued"
        assert client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]["task_id"] == task_id
