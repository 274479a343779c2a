"""Result videos that show their task, checked by decoding them with FFmpeg (PyAV) and reading pixels back."""

from __future__ import annotations

import io
import itertools
from dataclasses import replace

import av
import av.logging
import pytest
from PIL import Image, ImageDraw

from mockserver.media.overlay import VideoLayout, draw_frame, font, scheme_of
from mockserver.media.spec import VideoSpec, caption_of
from mockserver.media.uploads import uploads
from mockserver.media.video import planes_of, render_video_file

CAPTION = caption_of("crazyrouter", "cgt-20261206-8f3a2c1d", "doubao-seedance-1-0-pro", "A red fox runs through snow")
SPEC = VideoSpec(1280, 720, 24, 121, "2d6fd2", CAPTION)


def decoded_frames(data: bytes) -> list[av.VideoFrame]:
    av.logging.set_level(av.logging.WARNING)
    try:
        with av.logging.Capture() as logs, av.open(io.BytesIO(data), mode="r") as container:
            frames = list(container.decode(video=0))
        assert list(logs) == []
        return frames
    finally:
        av.logging.set_level(None)


def luma(frame: av.VideoFrame) -> bytes:
    """The Y plane without its line padding."""
    plane = frame.planes[0]
    data = bytes(plane)
    return b"".join(data[row * plane.line_size : row * plane.line_size + frame.width] for row in range(frame.height))


def as_image(frame: av.VideoFrame) -> Image.Image:
    image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]  # PyAV leaves it unannotated
    return image


def pixel(frame: av.VideoFrame, xy: tuple[int, int]) -> tuple[int, ...]:
    value = as_image(frame).getpixel(xy)
    assert isinstance(value, tuple)  # an RGB picture
    return value


def region(frame: av.VideoFrame, box: tuple[int, int, int, int]) -> Image.Image:
    return as_image(frame).crop(box)


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    pairs = zip(a.convert("RGB").tobytes(), b.convert("RGB").tobytes(), strict=True)
    return sum(abs(x - y) for x, y in pairs) / (a.width * a.height * 3)


@pytest.mark.parametrize(
    ("width", "height", "fps", "frames"),
    [(1080, 1920, 24, 241), (1920, 1080, 24, 121), (1280, 720, 30, 150), (498, 362, 25, 60), (176, 144, 15, 31)],
)
def test_every_frame_decodes_to_exactly_the_frame_drawn(width: int, height: int, fps: int, frames: int) -> None:
    """The coding is lossless: each decoded luma plane is the frame drawn from scratch, so the copied counter
    digits and marker positions are right in every frame."""
    spec = VideoSpec(width, height, fps, frames, "c0392b", CAPTION)
    layout = VideoLayout(spec)
    assert layout.fits
    decoded = decoded_frames(render_video_file(spec))
    assert len(decoded) == frames
    assert all((frame.width, frame.height) == (width, height) for frame in decoded)
    for number in sorted({0, 1, 2, 9, 10, 11, frames // 2, frames - 2, frames - 1}):
        assert luma(decoded[number]) == planes_of(draw_frame(layout, number)).y, number


def test_the_counter_region_changes_every_frame_and_the_marker_moves() -> None:
    layout = VideoLayout(SPEC)
    decoded = decoded_frames(render_video_file(SPEC))
    counter = (16, layout.counter_top, 16 + layout.cell[0] * len(layout.counter_text(0)), layout.track_top)
    track = (0, layout.track_top, SPEC.width, layout.track_top + 16 * layout.k)
    for before, after in itertools.pairwise(decoded):
        assert region(before, counter).tobytes() != region(after, counter).tobytes()
        assert region(before, track).tobytes() != region(after, track).tobytes()
    above = (0, 0, SPEC.width, layout.panel_top)
    assert region(decoded[0], above).tobytes() == region(decoded[-1], above).tobytes()


def test_the_task_id_drawn_matches_the_same_text_in_the_same_font() -> None:
    layout = VideoLayout(SPEC)
    first = decoded_frames(render_video_file(SPEC))[0]
    text = f"{CAPTION.gateway} · {CAPTION.task}"
    scheme, size = scheme_of(SPEC.color), 12 * layout.k
    left, top, right, bottom = (int(edge) for edge in font(size).getbbox(text))
    box = (16 + left, layout.line_tops[0] + top, 16 + right, layout.line_tops[0] + bottom)
    expected = Image.new("RGB", (SPEC.width, SPEC.height), scheme.panel)
    ImageDraw.Draw(expected).text((16, layout.line_tops[0]), text, font=font(size), fill=scheme.text)
    got, want = region(first, box), expected.crop(box)
    assert mean_difference(got, want) < 4
    blank = Image.new("RGB", got.size, scheme.panel)
    assert mean_difference(got, blank) > 20  # there is text to match


def test_a_10_second_1080p_video_stays_small() -> None:
    assert len(render_video_file(VideoSpec(1080, 1920, 24, 241, "2d6fd2", CAPTION))) < 200_000


def test_same_spec_same_bytes_and_each_task_its_own() -> None:
    data = render_video_file(SPEC)
    assert render_video_file(replace(SPEC)) == data
    assert render_video_file(replace(SPEC, color="d35400")) != data
    assert render_video_file(replace(SPEC, caption=replace(CAPTION, task="another"))) != data


def test_colour_schemes_differ_per_task() -> None:
    assert len({scheme_of(color) for color in ("2d6fd2", "d22d6f", "6fd22d")}) == 3


def test_a_picture_too_small_for_the_panel_is_its_plain_colour() -> None:
    spec = VideoSpec(64, 48, 24, 5, "2d6fd2", CAPTION)
    assert not VideoLayout(spec).fits
    for frame in decoded_frames(render_video_file(spec)):
        assert all(abs(a - b) <= 4 for a, b in zip(pixel(frame, (32, 24)), spec.rgb, strict=True))


def gradient(size: tuple[int, int], start: tuple[int, int, int], end: tuple[int, int, int]) -> bytes:
    """A smooth picture (so 4:2:0 subsampling keeps it close), as PNG bytes."""
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for x in range(size[0]):
        t = x / (size[0] - 1)
        draw.line((x, 0, x, size[1]), fill=tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_image_to_video_starts_from_the_uploaded_image_and_ends_on_the_last() -> None:
    first_png, last_png = (
        gradient((640, 480), (20, 60, 200), (240, 200, 40)),
        gradient((400, 300), (200, 30, 30), (30, 200, 90)),
    )
    spec = replace(SPEC, frames=49, first_image=uploads.keep(first_png), last_image=uploads.keep(last_png))
    layout = VideoLayout(spec)
    decoded = decoded_frames(render_video_file(spec))
    above = (0, 0, spec.width, layout.panel_top)
    for frame, png in ((decoded[0], first_png), (decoded[-1], last_png)):
        scaled = Image.open(io.BytesIO(png)).convert("RGB").resize((spec.width, spec.height))
        assert mean_difference(region(frame, above), scaled.crop(above)) < 3
    middle = decoded[len(decoded) - 1 - spec.fps // 2]  # half-way through the wipe: both images show
    first_scaled = Image.open(io.BytesIO(first_png)).convert("RGB").resize((spec.width, spec.height))
    last_scaled = Image.open(io.BytesIO(last_png)).convert("RGB").resize((spec.width, spec.height))
    assert mean_difference(region(middle, (0, 0, 64, 64)), last_scaled.crop((0, 0, 64, 64))) < 3
    right = (spec.width - 64, 0, spec.width, 64)
    assert mean_difference(region(middle, right), first_scaled.crop(right)) < 3


def test_an_image_this_instance_does_not_hold_falls_back_to_the_colour() -> None:
    spec = replace(SPEC, frames=5, first_image="0123456789abcdef", last_image="fedcba9876543210")
    for frame in decoded_frames(render_video_file(spec)):
        assert all(abs(a - b) <= 4 for a, b in zip(pixel(frame, (640, 100)), spec.rgb, strict=True))


def test_cjk_prompts_show_as_the_fonts_missing_glyph_box() -> None:
    caption = caption_of("jimmyai", "t", "m", "一只狐狸 in snow")
    assert caption.prompt == "一只狐狸 in snow"
    assert drawn("狐") == drawn("狸") != drawn("A")  # one box for every CJK character
    assert decoded_frames(render_video_file(replace(SPEC, frames=2, caption=caption)))


def drawn(text: str) -> bytes:
    image = Image.new("L", (40, 40))
    ImageDraw.Draw(image).text((4, 4), text, font=font(24), fill=255)
    return image.tobytes()
