"""Each Jimeng video req_key: the fields it needs, its limits, and what it renders."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
import pytest

from tests.gateways.volcengine.helpers import SUBMIT, business_error, call, result, submit, task_id_of
from tests.support import ContractClient, make_client, png_base64

URL = "https://example.com/cat.png"


@pytest.fixture(scope="module")
def client() -> Iterator[ContractClient]:
    with make_client(seed=0) as made:
        yield made


def rendered(client: ContractClient, **body: Any) -> dict[str, Any]:
    task_id = task_id_of(submit(client, **body))
    request: dict[str, Any] = client.get(f"/__admin/tasks/{task_id}").json()["request"]
    return request


@pytest.mark.parametrize(
    ("body", "size", "frames"),
    [
        ({"req_key": "jimeng_t2v_v30", "prompt": "a"}, (1280, 720), 121),
        ({"req_key": "jimeng_t2v_v30", "prompt": "a", "frames": 241, "aspect_ratio": "9:16"}, (720, 1280), 241),
        ({"req_key": "jimeng_t2v_v30_1080p", "prompt": "a", "aspect_ratio": "21:9"}, (2176, 928), 121),
        ({"req_key": "jimeng_vgfm_t2v_l20", "prompt": "a", "aspect_ratio": "9:21", "frames": 241}, (720, 1680), 121),
        ({"req_key": "jimeng_ti2v_v30_pro", "prompt": "a", "aspect_ratio": "1:1"}, (1440, 1440), 121),
        ({"req_key": "jimeng_i2v_first_v30", "image_urls": [URL]}, (1280, 720), 121),
        ({"req_key": "jimeng_i2v_first_v30_1080", "binary_data_base64": [png_base64(720, 1280)]}, (1080, 1920), 121),
        (
            {
                "req_key": "jimeng_i2v_first_tail_v30",
                "binary_data_base64": [png_base64(960, 960), png_base64(640, 640)],
            },
            (960, 960),
            121,
        ),
        (
            {"req_key": "jimeng_i2v_recamera_v30", "image_urls": [URL], "template_id": "dynamic_orbit", "frames": 241},
            (1280, 720),
            241,
        ),
    ],
)
def test_what_each_req_key_renders(
    client: ContractClient, body: dict[str, Any], size: tuple[int, int], frames: int
) -> None:
    request = rendered(client, **body)
    assert (request["width"], request["height"], request["frames"], request["fps"]) == (*size, frames, 24)


def test_recamera_strength_defaults_to_medium(client: ContractClient) -> None:
    body = {"req_key": "jimeng_i2v_recamera_v30", "image_urls": [URL], "template_id": "handheld"}
    assert rendered(client, **body)["camera_strength"] == "medium"
    assert rendered(client, **body, camera_strength="strong")["camera_strength"] == "strong"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"prompt": "a"}, "'req_key' is a required property"),
        ({"req_key": "jimeng_t2v_v30"}, "prompt is required"),
        ({"req_key": "jimeng_t2v_v30", "prompt": "a" * 801}, "1 to 800 characters"),
        ({"req_key": "jimeng_vgfm_t2v_l20", "prompt": "a" * 151}, "at most 150 characters"),
        ({"req_key": "jimeng_t2v_v30", "prompt": "a", "frames": 120}, "121 (5 s) or 241 (10 s)"),
        ({"req_key": "jimeng_t2v_v30", "prompt": "a", "aspect_ratio": "2:1"}, "is not supported"),
        ({"req_key": "jimeng_t2v_v30", "prompt": "a", "aspect_ratio": "9:21"}, "9:21 is not supported"),
        ({"req_key": "jimeng_t2v_v30", "prompt": "a", "seed": -2}, "seed must be"),
        ({"req_key": "jimeng_i2v_first_v30"}, "needs its image"),
        ({"req_key": "jimeng_i2v_first_v30", "image_urls": [URL, URL]}, "takes one image"),
        ({"req_key": "jimeng_i2v_first_v30", "image_urls": [URL], "binary_data_base64": ["x"]}, "not both"),
        ({"req_key": "jimeng_i2v_first_tail_v30", "image_urls": [URL]}, "takes two images"),
        ({"req_key": "jimeng_i2v_recamera_v30", "image_urls": [URL]}, "needs template_id"),
        ({"req_key": "jimeng_i2v_recamera_v30", "image_urls": [URL], "template_id": "zoom"}, "not a camera template"),
        ({"req_key": "jimeng_ti2v_v30_pro"}, "needs a prompt"),
        ({"req_key": "jimeng_t2v_v40", "prompt": "a"}, "not a Jimeng service this Action serves"),
        ({"req_key": "jimeng_i2v_first_v30", "binary_data_base64": [png_base64(200, 200)]}, "short side"),
        ({"req_key": "jimeng_i2v_first_v30", "binary_data_base64": ["bm90IGFuIGltYWdl"]}, "binary_data_base64[0]"),
        (
            {
                "req_key": "jimeng_i2v_first_tail_v30",
                "binary_data_base64": [png_base64(960, 540), png_base64(540, 960)],
            },
            "same aspect ratio",
        ),
    ],
)
def test_a_broken_rule_is_50215_with_its_reason(client: ContractClient, body: dict[str, Any], reason: str) -> None:
    code, message = business_error(call(client, SUBMIT, body), 400)
    assert code == 50215 and message.startswith("Input invalid for this service: ") and reason in message


@pytest.mark.parametrize(("raw", "reason"), [(b"{", "not valid JSON"), (b"[1]", "JSON object"), (b"", "empty")])
def test_a_body_that_is_not_a_json_object_is_50215(client: ContractClient, raw: bytes, reason: str) -> None:
    code, message = business_error(call(client, SUBMIT, raw), 400)
    assert code == 50215 and reason in message


def test_a_body_over_the_limit_is_413() -> None:
    with make_client(seed=0, max_body_bytes=1000) as client:
        code, message = business_error(call(client, SUBMIT, {"req_key": "jimeng_t2v_v30", "prompt": "a" * 2000}), 413)
        assert code == 50215 and "too large" in message


def test_a_first_frame_video_starts_from_the_uploaded_image_and_names_its_task(client: ContractClient) -> None:
    red = (220, 30, 30)
    body = {"req_key": "jimeng_i2v_first_v30", "binary_data_base64": [png_base64(1200, 900, color=red)]}
    task_id = task_id_of(submit(client, **body, prompt="the red square turns into a sunset"))
    client.runtime.clock.advance(600)
    url = result(client, task_id).json()["data"]["video_url"]
    params = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert (params["gw"], params["task"], params["model"]) == ("volcengine", task_id, "jimeng_i2v_first_v30")
    with av.open(io.BytesIO(client.get(url).content), mode="r") as container:
        first = next(container.decode(video=0)).to_image()  # type: ignore[no-untyped-call]
    assert all(abs(a - b) <= 6 for a, b in zip(first.getpixel((100, 100)), red, strict=True))
