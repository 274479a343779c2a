"""Bad input gets 50215 "Input invalid for this service" in the Volcengine envelope, naming the problem."""

from __future__ import annotations

import base64
import json
from io import BytesIO
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.gateways.gptge.helpers import BASE, I2V, T2V, i2v, t2v
from tests.support import AUTH, ContractClient, make_client, png_base64


def invalid(response: httpx2.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == body["status"] == 50215 and body["data"] is None
    message: str = body["message"]
    assert message.startswith("Input invalid for this service: ")
    return message


@pytest.mark.parametrize("path", [T2V, I2V])
@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{bad json", "not valid JSON"),
        (b"", "empty"),
        (b"   ", "empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"prompt"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"42", "must be a JSON object"),
    ],
)
def test_malformed_bodies(client: ContractClient, path: str, raw: bytes, fragment: str) -> None:
    response = client.post(path, content=raw, headers={**AUTH, "content-type": "application/json"})
    assert fragment in invalid(response)


@pytest.mark.parametrize("path", [T2V, I2V])
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "'prompt' is a required property"),
        ({"prompt": ""}, "prompt must be 1 to 150 characters"),
        ({"prompt": "x" * 151}, "prompt must be 1 to 150 characters"),
        ({"prompt": "猫" * 151}, "prompt must be 1 to 150 characters"),
        ({"prompt": 5}, "prompt must be 1 to 150 characters"),
        ({"prompt": None}, "prompt must be 1 to 150 characters"),
        ({"prompt": "a", "seed": -2}, "seed must be an integer from -1 (random) to 4294967295"),
        ({"prompt": "a", "seed": 4294967296}, "seed must be an integer"),
        ({"prompt": "a", "seed": 1.5}, "seed must be an integer"),
        ({"prompt": "a", "seed": "42"}, "seed must be an integer"),
        ({"prompt": "a", "seed": True}, "seed must be an integer"),
        ({"prompt": "a", "aspect_ratio": "2:1"}, "aspect_ratio '2:1' is not supported"),
        ({"prompt": "a", "aspect_ratio": "16:10"}, "use one of 16:9, 9:16, 9:21, 1:1, 4:3, 3:4, 21:9"),
        ({"prompt": "a", "aspect_ratio": 1.78}, "aspect_ratio 1.78 is not supported"),
    ],
)
def test_field_rules_on_both_routes(client: ContractClient, path: str, body: dict[str, Any], fragment: str) -> None:
    if path == I2V:
        body.setdefault("image_urls", ["https://example.com/a.png"])
    assert fragment in invalid(client.post(path, json=body, headers=AUTH))


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "image2video needs an image: send binary_data_base64 or image_urls"),
        ({"binary_data_base64": []}, "binary_data_base64 takes one base64 image"),
        ({"binary_data_base64": "abc"}, "binary_data_base64 takes one base64 image"),
        ({"binary_data_base64": [""]}, "binary_data_base64 takes one base64 image"),
        ({"binary_data_base64": [1]}, "binary_data_base64 takes one base64 image"),
        ({"binary_data_base64": [png_base64(400, 400)] * 2}, "binary_data_base64 takes one base64 image"),
        ({"image_urls": []}, "image_urls takes one http(s) image URL"),
        ({"image_urls": "https://example.com/a.png"}, "image_urls takes one http(s) image URL"),
        ({"image_urls": ["ftp://example.com/a.png"]}, "image_urls takes one http(s) image URL"),
        ({"image_urls": ["https://a/1.png", "https://a/2.png"]}, "image_urls takes one http(s) image URL"),
        ({"image_urls": [None]}, "image_urls takes one http(s) image URL"),
    ],
)
def test_image_rules(client: ContractClient, body: dict[str, Any], fragment: str) -> None:
    assert fragment in invalid(i2v(client, **body))


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ("not base64 at all!", "binary_data_base64[0] is not valid base64"),
        (base64.b64encode(b"hello, this is text").decode(), "is not a readable image"),
        (png_base64(400, 400, "GIF"), "is GIF: only JPEG and PNG are accepted"),
        (png_base64(400, 400, "WEBP"), "is WEBP: only JPEG and PNG are accepted"),
        (png_base64(300, 600), "short side must be at least 320 px"),
        (png_base64(4100, 400), "sides must be at most 4096 px"),
        (png_base64(1300, 400), "aspect ratio must be at most 3:1"),
        (base64.b64encode(base64.b64decode(png_base64(640, 640))[:40]).decode(), "is not a readable image"),
    ],
)
def test_bad_base64_images_are_checked_by_their_bytes(client: ContractClient, image: str, fragment: str) -> None:
    assert fragment in invalid(i2v(client, binary_data_base64=[image]))


def test_a_bad_image_is_refused_even_with_image_urls_beside_it(client: ContractClient) -> None:
    response = i2v(client, binary_data_base64=["!!"], image_urls=["https://example.com/a.png"])
    assert "not valid base64" in invalid(response)


def test_image_over_4_7_mb_is_refused() -> None:
    noise = bytes(range(256)) * 20_000
    buffer = BytesIO()
    Image.frombytes("RGB", (1600, 1600), (noise * 2)[: 1600 * 1600 * 3]).save(buffer, format="PNG", compress_level=0)
    assert buffer.tell() > 4_700_000
    with make_client() as client:
        message = invalid(i2v(client, binary_data_base64=[base64.b64encode(buffer.getvalue()).decode()]))
    assert "the limit is 4.7 MB" in message


def test_oversized_body_gets_413() -> None:
    with make_client(max_body_bytes=1024) as client:
        assert "request body too large (limit 1024 bytes)" in invalid(t2v(client, padding="x" * 2000), 413)


def test_oversized_body_without_content_length_gets_413() -> None:
    def chunks() -> Any:
        yield b'{"prompt": "'
        yield b"x" * 4096
        yield b'"}'

    with make_client(max_body_bytes=1024) as client:
        assert "request body too large" in invalid(client.post(I2V, content=chunks(), headers=AUTH), 413)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("POST", "/task/jimeng/img2video"),
        ("POST", "/task/jimeng/text2image"),
        ("GET", "/task/jimeng/text2video"),
        ("PUT", "/task/jimeng/image2video"),
        ("POST", "/task/123"),
        ("DELETE", "/task/123"),
        ("GET", "/task/123/result"),
        ("GET", "/"),
    ],
)
def test_unknown_routes_and_wrong_methods(client: ContractClient, method: str, path: str) -> None:
    response = client.request(method, BASE + path, headers=AUTH)
    assert f"no route {method} {BASE}{path}" in invalid(response, 404)


def test_nothing_is_stored_for_a_rejected_submit(client: ContractClient) -> None:
    t2v(client, prompt="x" * 151)
    i2v(client, binary_data_base64=["!!"])
    assert client.get("/__admin/tasks").json()["total"] == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
fields = st.sampled_from(["prompt", "seed", "aspect_ratio", "binary_data_base64", "image_urls"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(path=st.sampled_from([T2V, I2V]), body=st.dictionaries(fields, json_values, max_size=5) | json_values)
def test_any_json_body_gets_success_or_50215_never_a_crash(client: ContractClient, path: str, body: Any) -> None:
    response = client.post(path, content=json.dumps(body), headers=AUTH)
    assert response.status_code in (200, 400), response.text
    expected = 10000 if response.status_code == 200 else 50215
    assert response.json()["code"] == expected
