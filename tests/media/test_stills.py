"""Thumbnails and spritesheets: real images, decodable, the size and colour of their video."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mockserver.media.render import CONTENT_TYPES, render_spritesheet, render_thumbnail
from mockserver.media.spec import VideoSpec
from mockserver.media.stills import COLUMNS, GUTTER, TILE_WIDTH, spritesheet, spritesheet_layout, thumbnail
from tests.support import make_client

SPEC = VideoSpec(720, 1280, 24, 121, "2d6fd2")


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_thumbnail_is_a_webp_of_the_video_size_and_colour() -> None:
    image = decode(thumbnail(SPEC))
    assert image.format == "WEBP"
    assert image.size == (720, 1280)
    r, g, b = image.convert("RGB").getpixel((360, 640))  # type: ignore[misc]
    assert all(abs(got - want) <= 8 for got, want in zip((r, g, b), SPEC.rgb, strict=True))


@pytest.mark.parametrize(("frames", "tiles"), [(121, 6), (120, 5), (241, 11), (361, 16), (1, 1)])
def test_spritesheet_has_one_tile_per_started_second(frames: int, tiles: int) -> None:
    spec = VideoSpec(1280, 720, 24, frames, "2d6fd2")
    count, columns, width, height = spritesheet_layout(spec)
    assert (count, columns, width, height) == (tiles, min(COLUMNS, tiles), TILE_WIDTH, 90)
    image = decode(spritesheet(spec))
    rows = -(-tiles // columns)
    assert image.format == "JPEG"
    assert image.size == (columns * (TILE_WIDTH + GUTTER) + GUTTER, rows * (90 + GUTTER) + GUTTER)


def test_spritesheet_tiles_show_the_colour_and_gutters_are_dark() -> None:
    image = decode(spritesheet(SPEC)).convert("RGB")
    _, _, width, height = spritesheet_layout(SPEC)
    centre = image.getpixel((GUTTER + width // 2, GUTTER + height // 2))
    corner = image.getpixel((0, 0))
    assert isinstance(centre, tuple) and isinstance(corner, tuple)
    assert all(abs(got - want) <= 12 for got, want in zip(centre, SPEC.rgb, strict=True))
    assert max(corner) < 60


def test_portrait_tiles_keep_the_aspect_ratio() -> None:
    assert spritesheet_layout(SPEC)[2:] == (160, 284)


def test_renders_are_cached_with_content_types_and_etags() -> None:
    thumb, sheet = render_thumbnail(SPEC), render_spritesheet(SPEC)
    assert thumb is render_thumbnail(SPEC)
    assert (thumb.content_type, sheet.content_type) == (CONTENT_TYPES["webp"], CONTENT_TYPES["jpg"])
    assert thumb.etag != sheet.etag and thumb.etag.startswith('"')


@pytest.mark.parametrize(
    ("suffix", "content_type", "fmt"), [("webp", "image/webp", "WEBP"), ("jpg", "image/jpeg", "JPEG")]
)
def test_the_cdn_serves_signed_stills(suffix: str, content_type: str, fmt: str) -> None:
    with make_client() as client:
        path = f"/__media/test/still.{suffix}"
        query = client.runtime.signer.sign(path, SPEC.to_params(), int(client.runtime.clock.now()) + 60)
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200
        assert response.headers["content-type"] == content_type
        assert decode(response.content).format == fmt
        ranged = client.get(f"{path}?{query}", headers={"Range": "bytes=0-9"})
        assert ranged.status_code == 206 and ranged.content == response.content[:10]
        unknown = "/__media/test/still.gif"
        signed = client.runtime.signer.sign(unknown, SPEC.to_params(), int(client.runtime.clock.now()) + 60)
        assert client.get(f"{unknown}?{signed}").status_code == 404
        client.runtime.clock.advance(60)
        assert client.get(f"{path}?{query}").status_code == 403
