"""Still images of a result video: a thumbnail (its first frame) and a spritesheet (a grid of frames).

A spritesheet samples one frame per second of video into tiles of `TILE_WIDTH` pixels, `COLUMNS` to a row,
separated by a dark gutter; each tile is the first frame scaled down with that second's counter and marker.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from mockserver.media.overlay import VideoLayout, draw_frame, running_band
from mockserver.media.spec import VideoSpec

if TYPE_CHECKING:
    from PIL.Image import Image

COLUMNS = 5
TILE_WIDTH = 160
GUTTER = 2
GUTTER_RGB = (24, 24, 24)
MAX_TILES = 60


def thumbnail(spec: VideoSpec, fmt: str = "WEBP") -> bytes:
    """The first frame at the video's own size."""
    return _encode(draw_frame(VideoLayout(spec), 0), fmt)


def spritesheet_layout(spec: VideoSpec) -> tuple[int, int, int, int]:
    """(tiles, columns, tile width, tile height) for a video: one tile per started second of video."""
    tiles = min(MAX_TILES, max(1, math.ceil(spec.frames / spec.fps - 1e-9)))
    tile_height = max(1, round(TILE_WIDTH * spec.height / spec.width))
    return tiles, min(COLUMNS, tiles), TILE_WIDTH, tile_height


def spritesheet(spec: VideoSpec, fmt: str = "JPEG") -> bytes:
    from PIL import Image

    tiles, columns, width, height = spritesheet_layout(spec)
    rows = math.ceil(tiles / columns)
    sheet = Image.new("RGB", (columns * (width + GUTTER) + GUTTER, rows * (height + GUTTER) + GUTTER), GUTTER_RGB)
    layout = VideoLayout(spec)
    first = draw_frame(layout, 0).resize((width, height), Image.Resampling.BOX)
    ratio = width / spec.width
    for index in range(tiles):
        tile = first
        if layout.fits and index:
            tile = first.copy()
            band = running_band(layout, min(spec.frames - 1, index * spec.fps), spec.width)
            scaled = band.resize((width, max(1, round(band.height * ratio))), Image.Resampling.BOX)
            tile.paste(scaled, (0, round(layout.counter_top * ratio)))
        sheet.paste(
            tile, (GUTTER + (index % columns) * (width + GUTTER), GUTTER + (index // columns) * (height + GUTTER))
        )
    return _encode(sheet, fmt)


def _encode(image: Image, fmt: str) -> bytes:
    """Lossy at quality 85; WebP at its fastest method (a 1080p thumbnail: 30 ms, where the default took 60-90)."""
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": 85}
    if fmt == "WEBP":
        options["method"] = 0
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
