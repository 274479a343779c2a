"""The seed's cross-field rules, each with the message that names it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.gateways.jimmyai.table import MODELS, create, minimal, ref, rejected
from tests.support import ContractClient

ALL = sorted(MODELS)
EXCLUSIVE = "do not combine images (reference image mode) with first_image / last_image (frame mode)"
FRAMES_NO_AUDIO = "frame mode (first_image / last_image) does not support reference_audios"
MD_PAIR = "MD frame mode needs both first_image and last_image: one frame alone is not supported"


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize("frame", ["first_image", "last_image"])
def test_images_and_frames_are_exclusive(client: ContractClient, model: str, frame: str) -> None:
    body = minimal(model, images=[ref(model)], **{frame: ref(model, n=2)})
    assert rejected(create(client, body)) == EXCLUSIVE


@pytest.mark.parametrize("model", [m for m in ALL if not MODELS[m].md])
@pytest.mark.parametrize("frames", [("first_image",), ("last_image",), ("first_image", "last_image")])
def test_frame_mode_takes_one_or_both_frames(client: ContractClient, model: str, frames: tuple[str, ...]) -> None:
    body = minimal(model, **{frame: ref(model, n=n) for n, frame in enumerate(frames)})
    body.pop("images", None)
    assert create(client, body).status_code == 200


@pytest.mark.parametrize("model", ["seedance2.0-md", "seedance2.0-fast-md"])
def test_md_frame_mode_needs_both_frames(client: ContractClient, model: str) -> None:
    first, last = ref(model, n=1), ref(model, n=2)
    assert rejected(create(client, minimal(model, first_image=first))) == MD_PAIR
    assert rejected(create(client, minimal(model, last_image=last))) == MD_PAIR
    assert rejected(create(client, minimal(model, first_image=first, last_image=""))) == MD_PAIR
    assert create(client, minimal(model, first_image=first, last_image=last)).status_code == 200


@pytest.mark.parametrize("model", [m for m in ALL if MODELS[m].audio])
def test_frame_mode_takes_no_audio(client: ContractClient, model: str) -> None:
    body = minimal(model, first_image=ref(model), reference_audios=[ref(model, "aud")])
    assert rejected(create(client, body)) == FRAMES_NO_AUDIO


@pytest.mark.parametrize("model", [m for m in ALL if MODELS[m].audio])
def test_audio_needs_an_image_or_a_video(client: ContractClient, model: str) -> None:
    message = rejected(create(client, minimal(model, reference_audios=[ref(model, "aud")])))
    assert message == "reference_audios need a reference image or video: send images or reference_videos with them"
    audio = {"reference_audios": [ref(model, "aud")]}
    assert create(client, minimal(model, images=[ref(model)], **audio)).status_code == 200
    if MODELS[model].videos:
        assert create(client, minimal(model, reference_videos=[ref(model, "vid")], **audio)).status_code == 200


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("seedance2.0-md", "reference_audios are not supported on MD (seedance2.0-md, seedance2.0-fast-md)"),
        ("seedance2.0-fast-md", "reference_audios are not supported on MD (seedance2.0-md, seedance2.0-fast-md)"),
        ("seedance2.0-fast-i2v", "reference_audios are not supported on seedance2.0-fast-i2v (image references only)"),
    ],
)
def test_routes_without_audio(client: ContractClient, model: str, message: str) -> None:
    body = minimal(model, images=[ref(model)], reference_audios=[ref(model, "aud")])
    assert rejected(create(client, body)) == message


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("seedance2.0-fast-i2v", "reference_videos are not supported on seedance2.0-fast-i2v (image references only)"),
        *[
            (m, "reference_videos are only for the video-series models (sd2_mx_video_*)")
            for m in ALL
            if m.startswith("sd2_mx_") and not m.startswith("sd2_mx_video")
        ],
    ],
)
def test_routes_without_reference_videos(client: ContractClient, model: str, message: str) -> None:
    assert rejected(create(client, minimal(model, reference_videos=[ref(model, "vid")]))) == message


def test_fast_i2v_needs_an_image(client: ContractClient) -> None:
    message = rejected(create(client, {"model": "seedance2.0-fast-i2v", "prompt": "a"}))
    assert message == "seedance2.0-fast-i2v is image-to-video: send images, or first_image / last_image"
    frame = {"first_image": "https://example.com/a.png"}
    assert create(client, {"model": "seedance2.0-fast-i2v", "prompt": "a", **frame}).status_code == 200


@pytest.mark.parametrize("model", [m for m in ALL if MODELS[m].videos])
@pytest.mark.parametrize("name", ["still.jpg", "still.JPEG", "a.png?x-oss=1", "a.webp", "a.gif#t", "a.bmp"])
def test_reference_videos_only_take_video_urls(client: ContractClient, model: str, name: str) -> None:
    url = f"https://example.com/{name}"
    message = rejected(create(client, minimal(model, reference_videos=[url])))
    assert message == f"reference_videos only accepts video URLs: {url!r} is an image URL, put image URLs in images"


@pytest.mark.parametrize(
    "url", ["https://cdn.example.com/clip", "https://example.com/a.mov", "https://e.com/v.mp4?s=1"]
)
def test_video_urls_without_an_image_extension_pass(client: ContractClient, url: str) -> None:
    assert create(client, minimal("seedance2.0-std", reference_videos=[url])).status_code == 200


FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "images": lambda url: {"images": [url]},
    "first_image": lambda url: {"first_image": url},
    "last_image": lambda url: {"last_image": url},
    "reference_videos": lambda url: {"reference_videos": [url]},
}


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (m, f)
        for m in ALL
        for f in sorted(FIELDS)
        if MODELS[m].scheme == "https" and (f != "reference_videos" or MODELS[m].videos)
    ],
)
@pytest.mark.parametrize("url", ["asset://a-1", "http://example.com/a.mp4", "example.com/a.mp4", "ftp://x/a"])
def test_asset_references_only_on_the_full_route(client: ContractClient, model: str, field: str, url: str) -> None:
    body = minimal(model, **FIELDS[field](url))
    if field != "images":
        body.pop("images", None)
    if MODELS[model].md and field in ("first_image", "last_image"):
        body |= {"first_image": url, "last_image": url}
    message = rejected(create(client, body))
    assert f"must be a public https:// URL, not {url!r}" in message and "full route" in message


@pytest.mark.parametrize("model", [m for m in ALL if MODELS[m].scheme == "asset"])
@pytest.mark.parametrize("field", ["images", "first_image", "reference_audios"])
def test_the_full_route_takes_asset_references(client: ContractClient, model: str, field: str) -> None:
    body = minimal(model, **{field: "https://example.com/a.png" if field == "first_image" else ["https://e.com/a.png"]})
    if field == "reference_audios":
        body["images"] = ["asset://img-1"]
    message = rejected(create(client, body))
    assert "must be an asset://{assetId} reference on the full route (sd2_mx_*)" in message


@pytest.mark.parametrize("model", [m for m in ALL if MODELS[m].audio and MODELS[m].scheme == "https"])
def test_audio_asset_references_only_on_sp(client: ContractClient, model: str) -> None:
    body = minimal(model, images=[ref(model)], reference_audios=["asset://aud-1"])
    response = create(client, body)
    if MODELS[model].audio_asset:
        assert response.status_code == 200
    else:
        assert "must be a public https:// URL, not 'asset://aud-1'" in rejected(response)


@pytest.mark.parametrize(
    "zero_values",
    [
        {"images": [], "first_image": "https://example.com/a.png"},
        {"images": ["https://example.com/a.png"], "first_image": "", "last_image": ""},
        {"images": ["https://example.com/a.png"], "reference_audios": [], "reference_videos": []},
    ],
)
def test_empty_strings_and_arrays_count_as_absent(client: ContractClient, zero_values: dict[str, Any]) -> None:
    assert create(client, minimal("seedance2.0-std", **zero_values)).status_code == 200


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"images": "https://example.com/a.png"}, "'https://example.com/a.png' is not of type 'array'"),
        ({"images": [1]}, "images.0: 1 is not of type 'string'"),
        ({"first_image": ["https://example.com/a.png"]}, "is not of type 'string'"),
        ({"reference_audios": {"url": "x"}}, "is not of type 'array'"),
        ({"reference_videos": [None]}, "reference_videos.0: None is not of type 'string'"),
        ({"prompt": 42}, "prompt must be non-empty text, not 42"),
        ({"model": 3}, "model 3 is not supported"),
    ],
)
def test_wrong_types(client: ContractClient, fields: dict[str, Any], fragment: str) -> None:
    assert fragment in rejected(create(client, minimal("seedance2.0-std") | fields))
