"""Bad requests get new-api's answers: 400/413 in its task shape, 401 and unknown routes in its OpenAI shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateways.octopusx.support import BASE, VIDEOS, create, error_body, image_bytes
from tests.support import AUTH, ContractClient, make_client


def rejected(response: Any, status: int = 400) -> str:
    body = error_body(response, status)
    assert body["code"] == "invalid_request" and body["data"] is None
    message: str = body["message"]
    return message


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"model": "jimeng-video-1.0"}, "model 'jimeng-video-1.0' is not supported"),
        ({"model": "sora-2"}, "use jimeng-video-3.0 or jimeng-video-2.0"),
        ({"prompt": ""}, "prompt must be 1 to 800 characters"),
        ({"prompt": "猫" * 801}, "prompt must be 1 to 800 characters"),
        ({"seconds": "4"}, "seconds '4' is not supported"),
        ({"seconds": "20"}, "seconds '20' is not supported"),
        ({"seconds": "5.0"}, "seconds '5.0' is not supported"),
        ({"size": "1024x1792"}, "size '1024x1792' is not supported"),
        ({"size": "1280X720"}, "size '1280X720' is not supported"),
        ({"input_reference": "ftp://example.com/a.png"}, 'or {"image_url": URL}'),
    ],
)
def test_multipart_field_rules(client: ContractClient, fields: dict[str, Any], fragment: str) -> None:
    assert fragment in rejected(create(client, **fields))


def test_prompt_of_800_characters_is_accepted(client: ContractClient) -> None:
    assert create(client, prompt="猫" * 800).status_code == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"prompt": "a cat"}, "'model' is a required property"),
        ({"model": "jimeng-video-3.0"}, "'prompt' is a required property"),
        ({"model": "jimeng-video-3.0", "prompt": 5}, "prompt must be 1 to 800 characters"),
        ({"model": "jimeng-video-3.0", "prompt": "a", "seconds": 5}, "seconds 5 is not supported"),
        ({"model": "jimeng-video-3.0", "prompt": "a", "size": None}, "size None is not supported"),
        ({"model": "jimeng-video-3.0", "prompt": "a", "input_reference": {"file_id": "file_1"}}, "input_reference"),
        ({"model": "jimeng-video-3.0", "prompt": "a", "input_reference": 3}, "input_reference"),
        (
            {"model": "jimeng-video-3.0", "prompt": "a", "input_reference": "data:image/png;base64,@@"},
            "not valid base64",
        ),
        (
            {"model": "jimeng-video-3.0", "prompt": "a", "input_reference": "data:image/png;base64,aGVsbG8="},
            "input_reference is not a readable image",
        ),
    ],
)
def test_json_rules(client: ContractClient, body: dict[str, Any], fragment: str) -> None:
    assert fragment in rejected(client.post(VIDEOS, json=body, headers=AUTH))


def test_missing_fields_in_a_form(client: ContractClient) -> None:
    response = client.post(VIDEOS, files=[("prompt", (None, "a cat"))], headers=AUTH)
    assert "'model' is a required property" in rejected(response)


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (b"", "input_reference is not a readable image"),
        (b"not an image at all", "input_reference is not a readable image"),
        (image_bytes(5000, 400), "sides must be at most 4096 px"),
        (image_bytes(1000, 300), "the short side must be at least 320 px"),
        (image_bytes(1000, 330), "the aspect ratio must be at most 3:1"),
        (image_bytes(fmt="BMP"), "input_reference is BMP"),
        (image_bytes(fmt="TIFF"), "input_reference is TIFF"),
    ],
)
def test_reference_image_limits(client: ContractClient, image: bytes, fragment: str) -> None:
    assert fragment in rejected(create(client, files=[("a.png", image)]))


def test_reference_image_over_4_7_mb(client: ContractClient) -> None:
    import os

    from PIL import Image

    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    import io

    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 4_700_000
    assert "the limit is 4.7 MB" in rejected(create(client, files=[("big.png", buffer.getvalue())]))


def test_three_reference_files_are_refused(client: ContractClient) -> None:
    files = [(f"{n}.png", image_bytes()) for n in range(3)]
    assert "input_reference takes a single image file (got 3)" in rejected(create(client, files=files))


def test_a_file_and_a_url_together_are_refused(client: ContractClient) -> None:
    response = create(client, files=[("a.png", image_bytes())], input_reference="https://example.com/a.png")
    assert "either as a file or as a URL" in rejected(response)


def test_a_file_in_another_field_is_refused(client: ContractClient) -> None:
    parts: list[tuple[str, tuple[str | None, str | bytes]]] = [
        ("model", (None, "jimeng-video-3.0")),
        ("prompt", (None, "a")),
        ("image", ("a.png", image_bytes())),
    ]
    assert "unexpected file field 'image'" in rejected(client.post(VIDEOS, files=parts, headers=AUTH))


@pytest.mark.parametrize(
    ("raw", "content_type", "fragment"),
    [
        (b"{bad json", "application/json", "not valid JSON"),
        (b"", "application/json", "empty"),
        (b"[1, 2]", "application/json", "must be a JSON object"),
        (b"\xff\xfe{}", "application/json", "not UTF-8"),
        (
            b"--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--\r\n",
            "multipart/form-data; boundary=x",
            "multipart",
        ),
        (b"model=a", "multipart/form-data", "multipart"),
    ],
)
def test_malformed_bodies(client: ContractClient, raw: bytes, content_type: str, fragment: str) -> None:
    response = client.post(VIDEOS, content=raw, headers={**AUTH, "content-type": content_type})
    assert fragment in rejected(response)


def test_oversized_bodies_get_413() -> None:
    with make_client(max_body_bytes=50_000) as client:
        message = rejected(create(client, files=[("a.png", image_bytes(fmt="BMP"))]), 413)
        assert "request body too large (limit 50000 bytes)" in message
        unified = client.post(f"{BASE}/video/create", content=b"x" * 60_000, headers=AUTH)
        assert "too large" in rejected(unified, 413)


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "未提供令牌"), ({"Authorization": "Bearer "}, "未提供令牌"), ({"Authorization": "Basic abc"}, "无效的令牌")],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/videos"),
        ("GET", "/videos"),
        ("GET", "/videos/video_x"),
        ("DELETE", "/videos/video_x"),
        ("GET", "/videos/video_x/content"),
        ("POST", "/video/create"),
        ("GET", "/video/query?id=x"),
    ],
)
def test_every_route_needs_a_key(
    client: ContractClient, headers: dict[str, str], message: str, method: str, path: str
) -> None:
    body = error_body(client.request(method, BASE + path, headers=headers), 401)
    assert body["error"]["message"].startswith(message + " (request id: ")
    assert body["error"]["code"] == "" and body["error"]["type"] == "new_api_error"


def test_configured_keys_are_enforced() -> None:
    with make_client(api_keys=("sk-right",)) as client:
        wrong = create(client)
        assert error_body(wrong, 401)["error"]["message"].startswith("无效的令牌")
        right = create(client, headers={"Authorization": "Bearer sk-right"})
        assert right.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/nothing"), ("PUT", "/v1/videos"), ("POST", "/v1/videos/video_x"), ("GET", "/v1/video/create")],
)
def test_unknown_routes_and_methods(client: ContractClient, method: str, path: str) -> None:
    body = error_body(client.request(method, f"/octopusx{path}", headers=AUTH), 404)
    assert body["error"]["message"].startswith(f"Invalid URL ({method} /octopusx{path})")
    assert body["error"]["type"] == "invalid_request_error"


def test_unknown_scenario_is_refused(client: ContractClient) -> None:
    assert "unknown mock scenario 'chaos'" in rejected(create(client, headers={"X-Mock-Scenario": "chaos"}))
    assert "unknown mock scenario 'nope'" in rejected(create(client, prompt="a cat [[mock:nope]]"))
