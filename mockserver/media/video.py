"""A result video: the overlay drawn once, coded as one lossless intra picture and P pictures that copy only
what changes (see `media.overlay` and `media.h264_pictures`). An uploaded image it starts from, or wipes to
over its last second, is coded coarsely (`media.h264_coarse`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.media.h264 import EncodedStream, StreamLayout, build_pps, build_sps, encode_solid, validate
from mockserver.media.h264_coarse import CoarsePicture, code_coarse
from mockserver.media.h264_pictures import Planes, build_copy_picture, build_intra_picture
from mockserver.media.mp4 import mux, rgb_to_ycbcr
from mockserver.media.overlay import VideoLayout, draw_frame, scheme_of, uploaded_image
from mockserver.media.spec import VideoSpec
from mockserver.media.uploads import uploads

if TYPE_CHECKING:
    from PIL.Image import Image

# Full-range YCbCr (what Pillow converts to) to BT.601 limited range, as 256-entry lookup tables.
_LUMA = [16 + round(value * 219 / 255) for value in range(256)]
_CHROMA = [128 + round((value - 128) * 224 / 255) for value in range(256)]


def render_video_file(spec: VideoSpec) -> bytes:
    """The MP4 file of `spec`: its overlay when the picture is large enough for it, its plain colour if not."""
    validate(spec.width, spec.height, spec.fps)
    layout = VideoLayout(spec)
    if not layout.fits:
        return mux(encode_solid(spec.width, spec.height, spec.fps, spec.frames, rgb_to_ycbcr(spec.rgb)), *_size(spec))
    return mux(encode_overlay(layout), *_size(spec))


def _size(spec: VideoSpec) -> tuple[int, int, int]:
    return spec.width, spec.height, spec.fps


def encode_overlay(layout: VideoLayout) -> EncodedStream:
    spec = layout.spec
    stream = StreamLayout(spec.width, spec.height, spec.fps, spec.frames, hidden_rows=layout.hidden_rows)
    picture = draw_frame(layout, 0, atlas=True)
    top = layout.panel_top
    panel = planes_of(picture.crop((0, top, picture.width, picture.height)))
    coarse: CoarsePicture | None = None
    if spec.first_image and uploads.get(spec.first_image) is not None:
        coarse = _coarse(picture.crop((0, 0, picture.width, top)))
        above = Planes(picture.width, coarse.y, coarse.cb, coarse.cr)
    else:  # all above the panel is the task's colour
        flat = planes_of(picture.crop((0, 0, 2, 2)))
        above = Planes(
            picture.width,
            flat.y[:1] * (picture.width * top),
            flat.cb[:1] * (picture.width * top // 4),
            flat.cr[:1] * (picture.width * top // 4),
        )
    planes = Planes(picture.width, above.y + panel.y, above.cb + panel.cb, above.cr + panel.cr)
    pictures = [build_intra_picture(stream, planes, layout.drawn(None), coarse.layers if coarse else None)]
    wipe = _wipe(layout, stream)
    for frame in range(1, spec.frames):
        pictures.append(build_copy_picture(stream, frame, layout.moves(frame), wipe.get(frame)))
    return EncodedStream(build_sps(stream), build_pps(), pictures)


def _coarse(image: Image) -> CoarsePicture:
    """An image (RGB, sides multiples of 16) as a coarse picture (`h264_coarse`)."""
    from PIL import Image

    planes = planes_of(image)
    width, height = image.size
    return code_coarse(
        Image.frombytes("L", (width, height), planes.y),
        Image.frombytes("L", (width // 2, height // 2), planes.cb),
        Image.frombytes("L", (width // 2, height // 2), planes.cr),
    )


def _wipe(layout: VideoLayout, stream: StreamLayout) -> dict[int, dict[tuple[int, int], bytes | str]]:
    """For a video that ends on an image: the macroblocks each of the last second's frames replaces, a few
    columns at a time from the left, so the last frame shows the image above the panel. Each is coded as it is
    in a picture of the image alone: its left and top neighbours show that image by the time it is decoded.
    Empty when this instance does not hold the image."""
    spec = layout.spec
    image = uploaded_image(spec.last_image, (spec.width, spec.height)) if spec.last_image else None
    if image is None or spec.frames < 2:
        return {}
    from PIL import Image

    canvas = Image.new("RGB", (layout.coded_width, layout.panel_top), scheme_of(spec.color).background)
    canvas.paste(image, (0, 0))
    layers = _coarse(canvas).layers
    frames = min(spec.fps, spec.frames - 1)
    start = spec.frames - 1 - frames
    wipe: dict[int, dict[tuple[int, int], bytes | str]] = {}
    for step in range(1, frames + 1):
        columns = range(-(-stream.mb_width * (step - 1) // frames), -(-stream.mb_width * step // frames))
        wipe[start + step] = {(x, y): layers[x, y] for y in range(layout.panel_top // 16) for x in columns}
    return wipe


def planes_of(image: Image) -> Planes:
    """An RGB image as BT.601 limited-range 4:2:0 planes (chroma is the mean of each 2x2 block)."""
    y, cb, cr = image.convert("YCbCr").split()
    return Planes(
        image.width,
        y.point(_LUMA).tobytes(),
        cb.point(_CHROMA).reduce(2).tobytes(),
        cr.point(_CHROMA).reduce(2).tobytes(),
    )
