"""Submits: the envelope, every documented field, default and limit, and what each one changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.gateways.gptge.helpers import I2V, REQUEST_ID, T2V, TIME_ELAPSED, data_of, i2v, run_to_end, t2v, task_id_of
from tests.support import AUTH, ContractClient, png_base64

SEED_SIZES = {
    "16:9": (1280, 720),
    "9:16": (720, 1280),
    "9:21": (720, 1680),
    "1:1": (960, 960),
    "4:3": (960, 720),
    "3:4": (720, 960),
    "21:9": (1680, 720),
}


def finished(client: ContractClient, task_id: str) -> dict[str, Any]:
    """The done task's data, with resp_data parsed."""
    run_to_end(client, task_id)
    data = data_of(client, task_id)
    data["resp"] = json.loads(data["resp_data"])["infer_ctx"]
    return data


@pytest.mark.parametrize("path", [T2V, I2V])
def test_submit_answers_the_volcengine_envelope(client: ContractClient, path: str) -> None:
    body = {"prompt": "a cat", "image_urls": ["https://example.com/cat.png"]}
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    envelope = response.json()
    assert list(envelope) == ["code", "data", "message", "request_id", "status", "time_elapsed"]
    assert envelope["code"] == envelope["status"] == 10000
    assert envelope["message"] == "Success"
    assert list(envelope["data"]) == ["task_id"]
    assert envelope["data"]["task_id"].isdigit() and len(envelope["data"]["task_id"]) in (19, 20)
    assert REQUEST_ID.match(envelope["request_id"])
    assert TIME_ELAPSED.match(envelope["time_elapsed"])


def test_request_id_carries_the_mock_clock_in_beijing_time(client: ContractClient) -> None:
    # the virtual clock starts at 2026-01-01 00:00:00 UTC, 08:00:00 in UTC+8
    assert t2v(client).json()["request_id"].startswith("20260101080000")
    client.runtime.clock.advance(3661)
    assert t2v(client).json()["request_id"].startswith("20260101090101")


def test_task_ids_and_request_ids_are_unique(client: ContractClient) -> None:
    responses = [t2v(client, prompt=f"cat {n}").json() for n in range(30)]
    assert len({r["data"]["task_id"] for r in responses}) == 30
    assert len({r["request_id"] for r in responses}) == 30


def test_text_to_video_defaults(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client, prompt="a cat"))
    request = client.get(f"/__admin/tasks/{task_id}").json()["request"]
    assert request["seed"] == -1 and request["aspect_ratio"] == "16:9"
    data = finished(client, task_id)
    assert (data["resp"]["width"], data["resp"]["height"]) == (1280, 720)
    assert data["resp"]["req_key"] == "jimeng_vgfm_t2v_l20"
    assert (data["resp"]["fps"], data["resp"]["frames"]) == (24, 121)


@pytest.mark.parametrize(("ratio", "size"), SEED_SIZES.items())
def test_every_aspect_ratio_renders_the_seed_resolution(
    client: ContractClient, ratio: str, size: tuple[int, int]
) -> None:
    data = finished(client, task_id_of(t2v(client, aspect_ratio=ratio)))
    assert (data["resp"]["width"], data["resp"]["height"]) == size
    assert f"w={size[0]}&h={size[1]}&fps=24&frames=121" in data["video_url"]


@pytest.mark.parametrize("prompt", ["x" * 150, "猫" * 150, "a", "一只橘猫 yawning by the window"])
def test_prompts_up_to_150_characters_in_chinese_or_english(client: ContractClient, prompt: str) -> None:
    task_id = task_id_of(t2v(client, prompt=prompt))
    assert client.get(f"/__admin/tasks/{task_id}").json()["request"]["prompt"] == prompt


@pytest.mark.parametrize("seed", [-1, 0, 1, 42, 4294967295])
def test_seeds_in_range_are_accepted(client: ContractClient, seed: int) -> None:
    data = finished(client, task_id_of(t2v(client, seed=seed)))
    if seed != -1:
        assert data["resp"]["seed"] == seed
    else:
        assert 0 <= data["resp"]["seed"] < 2**32


def test_the_same_positive_seed_and_parameters_give_the_same_video(client: ContractClient) -> None:
    first, second, other_prompt = (
        finished(client, task_id_of(t2v(client, seed=7, prompt=prompt)))["video_url"]
        for prompt in ("a cat", "a cat", "a dog")
    )
    assert client.get(first).content == client.get(second).content
    assert client.get(first).content != client.get(other_prompt).content


def test_seed_minus_one_draws_a_new_video_each_time(client: ContractClient) -> None:
    urls = [finished(client, task_id_of(t2v(client, seed=-1, prompt="a cat")))["video_url"] for _ in range(2)]
    assert client.get(urls[0]).content != client.get(urls[1]).content


def test_image_to_video_follows_the_uploaded_image(client: ContractClient) -> None:
    task_id = task_id_of(i2v(client, binary_data_base64=[png_base64(720, 1280)], aspect_ratio="16:9"))
    data = finished(client, task_id)
    assert (data["resp"]["aspect_ratio"], data["resp"]["width"], data["resp"]["height"]) == ("9:16", 720, 1280)
    assert data["resp"]["req_key"] == "jimeng_vgfm_i2v_l20"


@pytest.mark.parametrize(
    ("image_size", "ratio"),
    [((1000, 1000), "1:1"), ((2100, 900), "21:9"), ((600, 1400), "9:21"), ((1600, 1200), "4:3"), ((900, 1200), "3:4")],
)
def test_image_snaps_to_the_nearest_seed_ratio(client: ContractClient, image_size: tuple[int, int], ratio: str) -> None:
    data = finished(client, task_id_of(i2v(client, binary_data_base64=[png_base64(*image_size, "JPEG")])))
    assert (data["resp"]["width"], data["resp"]["height"]) == SEED_SIZES[ratio]


def test_a_data_uri_prefix_is_tolerated(client: ContractClient) -> None:
    image = "data:image/png;base64," + png_base64(960, 960)
    data = finished(client, task_id_of(i2v(client, binary_data_base64=[image])))
    assert data["resp"]["aspect_ratio"] == "1:1"


def test_image_urls_cannot_be_seen_so_aspect_ratio_decides(client: ContractClient) -> None:
    task_id = task_id_of(i2v(client, image_urls=["https://example.com/cat.png"], aspect_ratio="4:3"))
    assert client.get(f"/__admin/tasks/{task_id}").json()["request"]["image_source"] == "image_urls"
    resp = finished(client, task_id)["resp"]
    assert (resp["width"], resp["height"]) == (960, 720)


def test_binary_data_base64_wins_when_both_are_sent(client: ContractClient) -> None:
    body: dict[str, Any] = {
        "binary_data_base64": [png_base64(960, 960)],
        "image_urls": ["https://example.com/wide.png"],
    }
    task_id = task_id_of(i2v(client, aspect_ratio="16:9", **body))
    assert client.get(f"/__admin/tasks/{task_id}").json()["request"]["image_source"] == "binary_data_base64"
    assert finished(client, task_id)["resp"]["aspect_ratio"] == "1:1"


def test_text_to_video_ignores_fields_it_does_not_read(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client, binary_data_base64=["not even base64"], frames=7, model="x"))
    request = client.get(f"/__admin/tasks/{task_id}").json()["request"]
    assert request["mode"] == "text2video" and request["image_source"] is None


def test_submit_returns_before_any_work(client: ContractClient) -> None:
    task_id = task_id_of(t2v(client))
    assert data_of(client, task_id)["status"] == "in_queue"
