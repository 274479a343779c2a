"""Captions in result URLs, the store of uploaded images, and captioned images and stills."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from mockserver.media.overlay import VideoLayout, font, scale_of, scheme_of
from mockserver.media.picture import (
    BadImageSpec,
    ImageSpec,
    caption_lines,
    draw_image,
    panel_height,
    render_image_bytes,
)
from mockserver.media.spec import MAX_TEXT, BadSpec, Caption, VideoSpec, caption_of, first_words
from mockserver.media.stills import spritesheet, spritesheet_layout, thumbnail
from mockserver.media.uploads import UploadStore, content_key

CAPTION = caption_of("jimeng2api", "8f3a2c1d", "jimeng-4.0", "a red fox in the snow at dawn, cinematic light")


def test_first_words_keeps_six_words_and_marks_the_cut() -> None:
    assert first_words("a red fox in the snow at dawn") == "a red fox in the snow..."
    assert first_words("  a   fox ") == "a fox"
    assert first_words("") == ""
    assert first_words("x" * 100) == "x" * 37 + "..."
    assert (
        first_words("一只狐狸在雪地里奔跑，阳光洒在它身上") == "一只狐狸在雪地里奔跑，阳..."
    )  # 12 characters: 36 bytes


@given(
    gateway=st.text(max_size=80), task=st.text(max_size=80), model=st.text(max_size=80), prompt=st.text(max_size=300)
)
def test_any_caption_round_trips_through_url_params(gateway: str, task: str, model: str, prompt: str) -> None:
    spec = VideoSpec(640, 360, 24, 48, "2d6fd2", caption_of(gateway, task, model, prompt), "0123456789abcdef")
    params = spec.to_params()
    assert VideoSpec.from_params(params) == spec
    assert all(len(value) <= MAX_TEXT for value in params.values())


def test_an_empty_caption_adds_no_params() -> None:
    assert VideoSpec(640, 360, 24, 48, "2d6fd2").to_params() == {
        "w": "640", "h": "360", "fps": "24", "frames": "48", "color": "2d6fd2",
    }  # fmt: skip


@pytest.mark.parametrize("extra", [{"task": "x" * 65}, {"img": "not-a-key"}, {"end": "0123456789ABCDEF"}])
def test_bad_caption_or_image_params_are_refused(extra: dict[str, str]) -> None:
    params = {"w": "640", "h": "360", "fps": "24", "frames": "48", "color": "2d6fd2"} | extra
    with pytest.raises(BadSpec):
        VideoSpec.from_params(params)


@pytest.mark.parametrize("extra", [{"in": "0123456789abcdef,zz"}, {"in": ",".join(["0123456789abcdef"] * 5)}])
def test_bad_input_keys_are_refused(extra: dict[str, str]) -> None:
    with pytest.raises(BadImageSpec):
        ImageSpec.from_params({"w": "10", "h": "10", "color": "2d6fd2"} | extra, "png")


def test_the_upload_store_keeps_by_content_within_its_budget() -> None:
    store = UploadStore(max_bytes=10)
    first = store.keep(b"abcd")
    assert first == content_key(b"abcd") and store.get(first) == b"abcd"
    second, third = store.keep(b"efgh"), store.keep(b"ijkl")  # 12 bytes: the least recently used goes
    assert (store.get(first), store.get(second), store.get(third)) == (None, b"efgh", b"ijkl")
    store.keep(b"x" * 11)  # larger than the budget: never kept
    assert store.get(content_key(b"x" * 11)) is None and store.get(third) == b"ijkl"


def test_an_image_shows_its_caption_in_the_font() -> None:
    spec = ImageSpec(1024, 1024, "png", "2d6fd2", CAPTION, "1:1", "1k")
    with Image.open(io.BytesIO(render_image_bytes(spec))) as image:
        picture = image.convert("RGB")
    k, top = scale_of(1024, 1024), 1024 - panel_height(spec)
    lines = caption_lines(spec)
    assert lines[1] == "jimeng-4.0 · 1024x1024 · 1:1 · 1k"
    expected = Image.new("RGB", picture.size, scheme_of(spec.color).panel)
    for index, (text, fill) in enumerate(zip(lines, ("text", "dim", "text"), strict=True)):
        colour = getattr(scheme_of(spec.color), fill)
        ImageDraw.Draw(expected).text((16, top + 16 + 16 * k * index), text, font=font(12 * k), fill=colour)
    box = (0, top + 2 * k, 1024, 1024)
    assert picture.crop(box).tobytes() == expected.crop(box).tobytes()


def test_an_image_without_room_for_the_panel_is_the_plain_fill() -> None:
    assert draw_image(ImageSpec(64, 64, "png", "2d6fd2", CAPTION)).getpixel((60, 60)) == (0x2D, 0x6F, 0xD2)


def test_the_thumbnail_is_the_first_frame_with_its_caption() -> None:
    spec = VideoSpec(720, 1280, 24, 121, "2d6fd2", Caption("octopusx", "video_123"))
    with Image.open(io.BytesIO(thumbnail(spec, "PNG"))) as image:
        picture = image.convert("RGB")
    layout = VideoLayout(spec)
    assert picture.getpixel((360, 100)) == spec.rgb
    assert picture.getpixel((360, layout.panel_top + 40)) == scheme_of(spec.color).panel
    assert len(set(picture.crop((16, layout.line_tops[0], 300, layout.line_tops[1])).tobytes())) > 2


def test_spritesheet_tiles_show_each_seconds_counter() -> None:
    spec = VideoSpec(1280, 720, 24, 121, "2d6fd2", CAPTION)
    _, columns, width, height = spritesheet_layout(spec)
    with Image.open(io.BytesIO(spritesheet(spec, "PNG"))) as image:
        sheet = image.convert("RGB")
    cells = [sheet.crop((2 + i * (width + 2), 2, 2 + i * (width + 2) + width, 2 + height)) for i in range(columns)]
    band = (0, round(VideoLayout(spec).counter_top * width / 1280), width, height)
    assert len({cell.crop(band).tobytes() for cell in cells}) == columns
