"""What a result video shows: the task's colour, and a panel along the bottom with its caption, a running
timecode and frame counter, and a marker that crosses the frame as the video plays.

Everything is laid out on the 16-pixel macroblock grid so the H.264 writer can code it cheaply: the panel is
horizontal stripes except where text is drawn (`VideoLayout.drawn`), and what changes from frame to frame
(counter digits, the marker) is copied from an atlas in macroblock rows coded below the picture and cropped
away (`VideoLayout.moves`). Text is drawn with Pillow's built-in font (Aileron, CC0); characters it lacks,
CJK among them, show as its missing-glyph box.
"""

from __future__ import annotations

import colorsys
import io
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from mockserver.media.spec import VideoSpec
from mockserver.media.uploads import uploads

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageDraw import ImageDraw
    from PIL.ImageFont import FreeTypeFont, ImageFont

MAX_TRACK_END = 2048
"""The marker's track ends here at the latest: a motion vector reaches at most 2048 samples sideways."""
DIGITS = "0123456789"


@dataclass(frozen=True)
class Scheme:
    """A task's colours: its background, a dark panel of the same hue, text, and an accent of the opposite hue."""

    background: tuple[int, int, int]
    panel: tuple[int, int, int]
    text: tuple[int, int, int]
    dim: tuple[int, int, int]
    accent: tuple[int, int, int]


@lru_cache(maxsize=360)
def scheme_of(color: str) -> Scheme:
    rgb = int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)
    hue, _, _ = colorsys.rgb_to_hls(*(c / 255 for c in rgb))

    def hls(h: float, lightness: float, saturation: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, saturation)
        return round(r * 255), round(g * 255), round(b * 255)

    return Scheme(rgb, hls(hue, 0.12, 0.35), (245, 245, 245), hls(hue, 0.72, 0.25), hls(hue + 0.5, 0.6, 0.9))


@lru_cache(maxsize=16)
def font(size: int) -> FreeTypeFont | ImageFont:
    """Pillow's built-in font at `size` pixels (a small bitmap font, whatever the size, in a Pillow built
    without FreeType)."""
    from PIL import ImageFont

    return ImageFont.load_default(size)


def scale_of(width: int, height: int) -> int:
    """Text scale: 1 up to 720p, 2 at 1080p, more above."""
    return max(1, round(min(width, height) / 540))


@dataclass(frozen=True)
class VideoLayout:
    """Where everything of a video's overlay sits, in pixels of the coded picture (the grid is 16)."""

    spec: VideoSpec

    @cached_property
    def k(self) -> int:
        return scale_of(self.spec.width, self.spec.height)

    @cached_property
    def cell(self) -> tuple[int, int]:
        """Width and height of a counter character cell."""
        c = max(1, round(self.k / 2))
        return 16 * c, 32 * c

    @property
    def coded_width(self) -> int:
        return -(-self.spec.width // 16) * 16

    @property
    def display_rows(self) -> int:
        return -(-self.spec.height // 16)

    @property
    def hidden_rows(self) -> int:
        """Macroblock rows below the picture: the marker strip, then the digit glyphs."""
        return self.k + self.cell[1] // 16

    @property
    def panel_top(self) -> int:
        return self.display_rows * 16 - 16 * (2 + 3 * self.k + self.k) - self.cell[1]

    @property
    def line_tops(self) -> list[int]:
        return [self.panel_top + 16 + 16 * self.k * i for i in range(3)]

    @property
    def counter_top(self) -> int:
        return self.panel_top + 16 + 48 * self.k

    @property
    def track_top(self) -> int:
        return self.counter_top + self.cell[1]

    @property
    def marker_width(self) -> int:
        return 16 * self.k

    @property
    def track_span(self) -> tuple[int, int]:
        """The marker's leftmost and rightmost position (both even)."""
        end = min(self.spec.width, MAX_TRACK_END) - 16 - self.marker_width
        return 16, end - end % 2

    @property
    def strip(self) -> tuple[int, int]:
        """Top-left of the atlas's marker strip: 16 pixels of track, the marker, 16 pixels of track."""
        return 16, self.display_rows * 16

    @property
    def glyph_row(self) -> int:
        return self.display_rows * 16 + 16 * self.k

    def glyph_x(self, digit: str) -> int:
        return 16 + self.cell[0] * DIGITS.index(digit)

    @cached_property
    def fits(self) -> bool:
        """Whether the overlay fits the picture (a smaller one stays a plain colour)."""
        first, last = self.track_span
        atlas_width = max(16 + 10 * self.cell[0], 16 + self.marker_width + 32)
        return self.panel_top >= 0 and last > first and atlas_width <= self.coded_width

    def marker_at(self, frame: int) -> int:
        first, last = self.track_span
        if self.spec.frames <= 1:
            return first
        position = first + (last - first) * frame // (self.spec.frames - 1)
        return position - position % 2

    def counter_text(self, frame: int) -> str:
        """`HH:MM:SS:FF` then the frame number and count, one character per cell."""
        fps, digits = self.spec.fps, len(str(self.spec.frames))
        seconds, ff = divmod(frame, fps)
        minutes, ss = divmod(seconds, 60)
        hh, mm = divmod(minutes, 60)
        return f"{hh:02}:{mm:02}:{ss:02}:{ff:02}  #{frame + 1:0{digits}}/{self.spec.frames}"

    @cached_property
    def caption_lines(self) -> list[str]:
        spec, caption = self.spec, self.spec.caption
        head = " · ".join(part for part in (caption.gateway, caption.task) if part)
        size = f"{spec.width}x{spec.height} · {spec.fps} fps · {spec.duration:.2f} s"
        if spec.first_image:
            size += " · from image" + (" to image" if spec.last_image else "")
        body = " · ".join(part for part in (caption.model, size) if part)
        return [head, body, f"“{caption.prompt}”" if caption.prompt else ""]

    @cached_property
    def _counter_texts(self) -> list[str]:
        return [self.counter_text(frame) for frame in range(self.spec.frames)]

    @cached_property
    def _cell_moves(self) -> dict[tuple[int, str], list[tuple[tuple[int, int], tuple[int, int]]]]:
        """For each counter cell and digit: the cell's macroblocks and the vector that copies the digit's glyph."""
        cw, ch = self.cell
        rows = range(self.counter_top // 16, (self.counter_top + ch) // 16)
        found = {}
        for index in range(len(self.counter_text(0))):
            cell_x = 16 + cw * index
            for digit in DIGITS:
                vector = (self.glyph_x(digit) - cell_x, self.glyph_row - self.counter_top)
                columns = range(cell_x // 16, min(self.coded_width, cell_x + cw) // 16)  # a narrow picture cuts it
                found[index, digit] = [((mb_x, mb_y), vector) for mb_y in rows for mb_x in columns]
        return found

    def moves(self, frame: int) -> dict[tuple[int, int], tuple[int, int]]:
        """Macroblocks that change from `frame - 1` to `frame`, each with the atlas window it copies."""
        moves: dict[tuple[int, int], tuple[int, int]] = {}
        texts, cells = self._counter_texts, self._cell_moves
        for index, (old, new) in enumerate(zip(texts[frame - 1], texts[frame], strict=True)):
            if old != new:
                moves.update(cells[index, new])
        old_at, new_at = self.marker_at(frame - 1), self.marker_at(frame)
        if old_at != new_at:
            strip_x, strip_y = self.strip
            width, top = self.marker_width, self.track_top
            columns = {
                *range(old_at // 16, (old_at + width - 1) // 16 + 1),
                *range(new_at // 16, (new_at + width - 1) // 16 + 1),
            }
            for mb_x in columns:
                inside = new_at - 16 < 16 * mb_x < new_at + width
                vector = ((strip_x + 16 - new_at if inside else strip_x - 16 * mb_x), strip_y - top)
                for row in range(self.k):
                    moves[mb_x, top // 16 + row] = vector
        return moves

    def drawn(self, frame_image_rows: range | None = None) -> dict[int, set[int]]:
        """The first picture's macroblocks that are not horizontal stripes: text, cells, marker, atlas, and
        (`frame_image_rows`) the rows an image fills."""
        columns = self.coded_width // 16
        drawn: dict[int, set[int]] = {}

        def mark(x0: int, y0: int, x1: int, y1: int) -> None:
            for mb_y in range(max(0, y0) // 16, (y1 - 1) // 16 + 1):
                drawn.setdefault(mb_y, set()).update(range(max(1, x0 // 16), min(columns, (x1 + 1) // 16 + 1)))

        for top, text in zip(self.line_tops, self.caption_lines, strict=True):
            if text:
                x0, y0, x1, y1 = font(12 * self.k).getbbox(text)
                mark(16 + int(x0) - 1, top + int(y0) - 1, 16 + int(x1) + 1, top + int(y1) + 1)
        cw, ch = self.cell
        mark(16, self.counter_top, 16 + cw * len(self.counter_text(0)) + 1, self.counter_top + ch)
        at = self.marker_at(0)
        mark(at, self.track_top, at + self.marker_width + 1, self.track_top + 16 * self.k)
        strip_x, strip_y = self.strip
        mark(strip_x, strip_y, strip_x + self.marker_width + 33, strip_y + 16 * self.k)
        mark(16, self.glyph_row, 16 + cw * len(DIGITS) + 1, self.glyph_row + ch)
        for mb_y in frame_image_rows or ():
            drawn[mb_y] = set(range(1, columns))
        return drawn


def draw_frame(layout: VideoLayout, frame: int, *, atlas: bool = False) -> Image:
    """Frame `frame` as RGB at the picture's size, or (`atlas`) at the coded size with the atlas below."""
    from PIL import Image, ImageDraw

    spec, scheme, k = layout.spec, scheme_of(layout.spec.color), layout.k
    height = (layout.display_rows + layout.hidden_rows) * 16 if atlas else spec.height
    width = layout.coded_width if atlas else spec.width
    image = Image.new("RGB", (width, height), scheme.background)
    first = uploaded_image(spec.first_image, (spec.width, spec.height)) if spec.first_image else None
    if first is not None:
        image.paste(first, (0, 0))
    if not layout.fits:
        return image
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, layout.panel_top, width, height), fill=scheme.panel)
    draw.rectangle((0, layout.panel_top, width, layout.panel_top + 2 * k - 1), fill=scheme.accent)
    for top, text, fill in zip(
        layout.line_tops, layout.caption_lines, (scheme.text, scheme.dim, scheme.text), strict=True
    ):
        draw.text((16, top), text, font=font(12 * k), fill=fill)
    image.paste(running_band(layout, frame, width), (0, layout.counter_top))
    if atlas:
        strip_x, strip_y = layout.strip
        _draw_track(draw, layout, 0, width, strip_y)
        image.paste(marker(layout), (strip_x + 16, strip_y))
        for digit in DIGITS:
            image.paste(glyph(layout, digit), (layout.glyph_x(digit), layout.glyph_row))
    return image


def running_band(layout: VideoLayout, frame: int, width: int) -> Image:
    """What moves, drawn at `frame`: the counter line and the track with its marker, `width` pixels wide."""
    from PIL import Image, ImageDraw

    top, k = layout.counter_top, layout.k
    band = Image.new("RGB", (width, layout.track_top + 16 * k - top), scheme_of(layout.spec.color).panel)
    for index, char in enumerate(layout.counter_text(frame)):
        band.paste(glyph(layout, char), (16 + layout.cell[0] * index, 0))
    _draw_track(ImageDraw.Draw(band), layout, 0, width, layout.track_top - top)
    band.paste(marker(layout), (layout.marker_at(frame), layout.track_top - top))
    return band


def _draw_track(draw: ImageDraw, layout: VideoLayout, x0: int, x1: int, top: int) -> None:
    k = layout.k
    middle = top + 8 * k
    draw.rectangle((x0, middle - k, x1, middle + k - 1), fill=scheme_of(layout.spec.color).dim)


@lru_cache(maxsize=256)
def _glyph(color: str, k: int, cell: tuple[int, int], char: str) -> Image:
    from PIL import Image, ImageDraw

    scheme = scheme_of(color)
    image = Image.new("RGB", cell, scheme.panel)
    size = cell[1] * 13 // 16
    ImageDraw.Draw(image).text((cell[0] // 2, cell[1] // 2), char, font=font(size), fill=scheme.text, anchor="mm")
    return image


def glyph(layout: VideoLayout, char: str) -> Image:
    """One counter character in its cell, the same pixels wherever it is pasted."""
    return _glyph(layout.spec.color, layout.k, layout.cell, char)


@lru_cache(maxsize=64)
def _marker(color: str, k: int) -> Image:
    from PIL import Image, ImageDraw

    scheme = scheme_of(color)
    image = Image.new("RGB", (16 * k, 16 * k), scheme.panel)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 8 * k - k, 16 * k, 8 * k + k - 1), fill=scheme.dim)
    draw.rounded_rectangle((0, 2 * k, 16 * k - 1, 14 * k - 1), radius=3 * k, fill=scheme.accent)
    return image


def marker(layout: VideoLayout) -> Image:
    return _marker(layout.spec.color, layout.k)


def uploaded_image(key: str, size: tuple[int, int]) -> Image | None:
    """The uploaded image `key`, scaled to `size`; None when this instance does not hold it."""
    from PIL import Image, UnidentifiedImageError

    data = uploads.get(key)
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", size)  # a JPEG decodes at a fraction of its size when that is enough
            return opened.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return None
