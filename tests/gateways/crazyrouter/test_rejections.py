"""Bad submits get 400 (or 413) in new-api's task error shape, with a message that names the problem."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import AUTH, ContractClient, make_client, png_base64, submit

SUBMIT = "/crazyrouter/jimeng/submit/videos"


def rejected(response: Any, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == "invalid_request" and body["data"] is None
    message: str = body["message"]
    return message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{bad json", "not valid JSON"),
        (b"", "empty"),
        (b"   ", "empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"model"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
    ],
)
def test_malformed_bodies(client: ContractClient, raw: bytes, fragment: str) -> None:
    response = client.post(SUBMIT, content=raw, headers={**AUTH, "content-type": "application/json"})
    assert fragment in rejected(response)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "'model' is a required property"),
        ({"model": "jimeng-video-2.0", "prompt": "a"}, "model 'jimeng-video-2.0' is not supported"),
        ({"model": 3, "prompt": "a"}, "model 3 is not supported"),
        ({"prompt": 5}, "prompt: 5 is not of type 'string'"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 801}, "prompt"),
        ({"prompt": "a", "duration": 7}, "duration 7 is not supported: use 5 or 10"),
        ({"prompt": "a", "duration": "5"}, "duration '5' is not supported"),
        ({"prompt": "a", "duration": 5.5}, "duration 5.5 is not supported"),
        ({"prompt": "a", "aspect_ratio": "2:1"}, "aspect_ratio '2:1' is not supported"),
        ({"prompt": "a", "aspect_ratio": 16}, "aspect_ratio 16 is not supported"),
        ({"prompt": "a", "image_url": 5}, "image_url must be an http(s) URL"),
        ({"prompt": "a", "image_url": "ftp://example.com/a.png"}, "image_url must be an http(s) URL"),
        ({"prompt": "a", "binary_data_base64": "abc"}, "binary_data_base64 takes exactly one base64 image"),
        ({"prompt": "a", "binary_data_base64": []}, "binary_data_base64 takes exactly one base64 image"),
        ({"prompt": "a", "binary_data_base64": [1]}, "binary_data_base64.0: 1 is not of type 'string'"),
        ({"prompt": "a", "image_urls": ["https://a/1.png", "https://a/2.png"]}, "not a public contract"),
        ({"prompt": "a", "template_id": "zoom", "image_url": "https://a/1.png"}, "'zoom' is not a recamera template"),
        ({"prompt": "a", "template_id": "handheld"}, "needs an image"),
        (
            {"prompt": "a", "camera_strength": "weak", "image_url": "https://a/1.png"},
            "camera_strength needs a template_id",
        ),
        (
            {"prompt": "a", "camera_strength": "max", "template_id": "handheld", "image_url": "https://a/1.png"},
            "camera_strength 'max' is not supported",
        ),
        ({"prompt": "a", "req_key": "jimeng_t2i_v30"}, "req_key 'jimeng_t2i_v30' is not a jimeng 3.0 video req_key"),
        ({"prompt": "a", "frames": "121"}, "frames: '121' is not of type 'integer'"),
    ],
)
def test_schema_rejections(client: ContractClient, body: dict[str, Any], fragment: str) -> None:
    if body:
        body.setdefault("model", "jimeng-video-3.0")
    assert fragment in rejected(client.post(SUBMIT, json=body, headers=AUTH))


def test_text_to_video_needs_a_prompt(client: ContractClient) -> None:
    assert "prompt is required for text-to-video" in rejected(submit(client, duration=5))


@pytest.mark.parametrize(
    "images",
    [
        {"image_url": "https://a/1.png", "binary_data_base64": ["AAAA"]},
        {"image_url": "https://a/1.png", "image_urls": ["https://a/2.png"]},
        {"binary_data_base64": ["AAAA"], "image_urls": ["https://a/2.png"]},
        {"binary_data_base64": ["AAAA", "BBBB"]},
    ],
)
def test_two_images_where_one_is_allowed(client: ContractClient, images: dict[str, Any]) -> None:
    message = rejected(submit(client, prompt="a", **images))
    assert "one" in message and ("image" in message or "binary_data_base64" in message)


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ("not base64 at all!", "is not valid base64"),
        (base64.b64encode(b"hello, this is text").decode(), "is not a readable image"),
        (png_base64(400, 400, "GIF"), "is GIF: only JPEG and PNG are accepted"),
        (png_base64(400, 400, "WEBP"), "is WEBP: only JPEG and PNG are accepted"),
        (png_base64(300, 600), "short side must be at least 320 px"),
        (png_base64(4100, 400), "sides must be at most 4096 px"),
        (png_base64(1300, 400), "aspect ratio must be at most 3:1"),
        (base64.b64encode(base64.b64decode(png_base64(640, 640))[:40]).decode(), "is not a readable image"),
    ],
)
def test_bad_base64_images(client: ContractClient, image: str, fragment: str) -> None:
    assert fragment in rejected(submit(client, prompt="a", binary_data_base64=[image]))


def test_image_over_4_7_mb_is_refused() -> None:
    noise = bytes(range(256)) * 20_000  # a PNG that does not compress below the limit
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.frombytes("RGB", (1600, 1600), (noise * 2)[: 1600 * 1600 * 3]).save(buffer, format="PNG", compress_level=0)
    assert buffer.tell() > 4_700_000
    with make_client() as client:
        message = rejected(submit(client, binary_data_base64=[base64.b64encode(buffer.getvalue()).decode()]))
    assert "the limit is 4.7 MB" in message


def test_oversized_body_gets_413() -> None:
    with make_client(max_body_bytes=1024) as client:
        response = submit(client, prompt="x" * 2000)
        assert "request body too large" in rejected(response, 413)


def test_oversized_body_without_content_length_gets_413() -> None:
    def chunks() -> Any:
        yield b'{"model": "jimeng-video-3.0", "prompt": "'
        yield b"x" * 4096
        yield b'"}'

    with make_client(max_body_bytes=1024) as client:
        response = client.post(SUBMIT, content=chunks(), headers=AUTH)
        assert "request body too large" in rejected(response, 413)


def test_nothing_is_stored_for_a_rejected_submit(client: ContractClient) -> None:
    submit(client, prompt="a", duration=7)
    assert client.get("/__admin/tasks").json()["total"] == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
fields = st.sampled_from(
    [
        "model",
        "prompt",
        "duration",
        "aspect_ratio",
        "image_url",
        "binary_data_base64",
        "image_urls",
        "template_id",
        "camera_strength",
        "req_key",
        "frames",
    ]
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(body=st.dictionaries(fields, json_values, max_size=6) | json_values)
def test_any_json_body_gets_200_or_a_400_never_a_crash(client: ContractClient, body: Any) -> None:
    response = client.post(SUBMIT, content=json.dumps(body), headers=AUTH)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["message"]
