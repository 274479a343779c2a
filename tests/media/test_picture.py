"""The still-image renderer, the MP4 duration probe, and serving images from signed URLs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mockserver.media.mp4 import render_mp4
from mockserver.media.picture import BadImageSpec, ImageSpec, render_image_bytes
from mockserver.media.probe import mp4_duration
from mockserver.media.routes import MEDIA_PREFIX
from tests.support import ContractClient


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("size", [(1, 1), (1195, 512), (682, 1024)])
def test_renders_real_images_of_the_exact_size(fmt: str, size: tuple[int, int]) -> None:
    data = render_image_bytes(ImageSpec(size[0], size[1], fmt, "2d6fd2"))
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        assert ((picture.format or "").lower(), picture.size) == (fmt, size)


def test_the_colour_is_the_spec_colour() -> None:
    data = render_image_bytes(ImageSpec(90, 90, "png", "2d6fd2"))
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.convert("RGB").getpixel((80, 80)) == (0x2D, 0x6F, 0xD2)


@pytest.mark.parametrize(
    ("params", "extension"),
    [
        ({"w": "10", "h": "10", "color": "2d6fd2"}, "gif"),
        ({"w": "0", "h": "10", "color": "2d6fd2"}, "png"),
        ({"w": "9000", "h": "10", "color": "2d6fd2"}, "png"),
        ({"w": "10", "h": "10", "color": "red"}, "png"),
        ({"w": "10", "color": "2d6fd2"}, "png"),
    ],
)
def test_bad_specs_are_refused(params: dict[str, str], extension: str) -> None:
    with pytest.raises(BadImageSpec):
        ImageSpec.from_params(params, extension)


def test_jpg_is_jpeg() -> None:
    spec = ImageSpec.from_params({"w": "10", "h": "12", "color": "aabbcc"}, "JPG")
    assert (spec.format, spec.content_type) == ("jpeg", "image/jpeg")


def test_mp4_duration_probe() -> None:
    assert mp4_duration(render_mp4(32, 32, 24, 2.0, (1, 2, 3))) == pytest.approx(2.0, abs=0.05)
    assert mp4_duration(b"not a video") is None
    assert mp4_duration(b"....mvhd") is None


def test_signed_image_urls_are_served_and_expire(client: ContractClient) -> None:
    signer, clock = client.runtime.signer, client.runtime.clock
    path = f"{MEDIA_PREFIX}/test/picture.png"
    url = f"{path}?{signer.sign(path, {'w': '64', 'h': '48', 'color': '2d6fd2'}, int(clock.now()) + 60)}"
    served = client.get(url)
    assert (served.status_code, served.headers["content-type"]) == (200, "image/png")
    with Image.open(io.BytesIO(served.content)) as picture:
        assert picture.size == (64, 48)
    head = client.head(url)
    assert head.headers["content-length"] == str(len(served.content))
    unknown = f"{MEDIA_PREFIX}/test/picture.gif"
    assert (
        client.get(
            f"{unknown}?{signer.sign(unknown, {'w': '1', 'h': '1', 'color': '000000'}, int(clock.now()) + 60)}"
        ).status_code
        == 404
    )
    clock.advance(60)
    assert client.get(url).status_code == 403
