"""A result video: the overlay drawn once, coded as one lossless intra picture and P pictures that copy only
what changes (see `media.overlay` and `media.h264_pictures`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.media.h264 import EncodedStream, StreamLayout, build_pps, build_sps, encode_solid, validate
from mockserver.media.h264_pictures import Planes, build_copy_picture, build_intra_picture
from mockserver.media.mp4 import mux, rgb_to_ycbcr
from mockserver.media.overlay import VideoLayout, draw_frame
from mockserver.media.spec import VideoSpec

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
    if spec.first_image:
        planes, image_rows = planes_of(picture), range(layout.panel_top // 16)
    else:  # all above the panel is the task's colour
        panel = planes_of(picture.crop((0, layout.panel_top, picture.width, picture.height)))
        flat = planes_of(picture.crop((0, 0, 2, 2)))
        planes = Planes(
            picture.width,
            flat.y[:1] * (picture.width * layout.panel_top) + panel.y,
            flat.cb[:1] * (picture.width * layout.panel_top // 4) + panel.cb,
            flat.cr[:1] * (picture.width * layout.panel_top // 4) + panel.cr,
        )
        image_rows = None
    first = build_intra_picture(stream, planes, layout.drawn(image_rows))
    pictures = [first, *(build_copy_picture(stream, n, layout.moves(n)) for n in range(1, spec.frames))]
    return EncodedStream(build_sps(stream), build_pps(), pictures)


def planes_of(image: Image) -> Planes:
    """An RGB image as BT.601 limited-range 4:2:0 planes (chroma is the mean of each 2x2 block)."""
    y, cb, cr = image.convert("YCbCr").split()
    return Planes(
        image.width,
        y.point(_LUMA).tobytes(),
        cb.point(_CHROMA).reduce(2).tobytes(),
        cr.point(_CHROMA).reduce(2).tobytes(),
    )
