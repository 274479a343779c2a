"""Still images for result URLs: real PNG, JPEG or WebP bytes of an exact size, drawn in a task's colour with its
caption (gateway, task, model, size, ratio and resolution, the prompt's first words) on a panel along the
bottom and, for a composition, the input images as small tiles above it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mockserver.media.overlay import font, scale_of, scheme_of, uploaded_image
from mockserver.media.spec import MAX_TEXT, Caption

if TYPE_CHECKING:
    from PIL.Image import Image

_COLOR = re.compile(r"^[0-9a-f]{6}$")
_KEY = re.compile(r"^[0-9a-f]{16}$")
MAX_IMAGE_SIDE = 8192
MAX_INPUT_TILES = 4
"""How many of a composition's input images a result shows (and its URL carries the keys of)."""
FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
EXTENSIONS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp"}
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class BadImageSpec(ValueError):
    pass


@dataclass(frozen=True)
class ImageSpec:
    width: int
    height: int
    format: str  # png | jpeg | webp
    color: str  # rrggbb
    caption: Caption = field(default_factory=Caption)
    ratio: str = ""
    """The ratio the request asked for (`16:9`), shown as asked."""
    resolution: str = ""
    """The resolution the request asked for (`2k`)."""
    inputs: tuple[str, ...] = ()
    """Content keys (`media.uploads`) of a composition's input images, at most `MAX_INPUT_TILES`."""

    @property
    def rgb(self) -> tuple[int, int, int]:
        return int(self.color[0:2], 16), int(self.color[2:4], 16), int(self.color[4:6], 16)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def to_params(self) -> dict[str, str]:
        params = {"w": str(self.width), "h": str(self.height), "color": self.color} | self.caption.to_params()
        extra = {"ratio": self.ratio, "res": self.resolution, "in": ",".join(self.inputs[:MAX_INPUT_TILES])}
        return params | {key: value for key, value in extra.items() if value}

    @classmethod
    def from_params(cls, params: dict[str, str], extension: str) -> ImageSpec:
        fmt = EXTENSIONS.get(extension.lower())
        inputs = tuple(key for key in params.get("in", "").split(",") if key)
        try:
            spec = cls(
                int(params["w"]),
                int(params["h"]),
                fmt or "",
                params["color"],
                Caption.from_params(params),
                params.get("ratio", ""),
                params.get("res", ""),
                inputs,
            )
        except (KeyError, ValueError):
            raise BadImageSpec("incomplete image parameters") from None
        if fmt is None or not _COLOR.match(spec.color):
            raise BadImageSpec("unknown format or colour")
        if not (1 <= spec.width <= MAX_IMAGE_SIDE and 1 <= spec.height <= MAX_IMAGE_SIDE):
            raise BadImageSpec("bad size")
        if len(inputs) > MAX_INPUT_TILES or not all(_KEY.match(key) for key in inputs):
            raise BadImageSpec("bad input keys")
        if len(spec.ratio) > MAX_TEXT or len(spec.resolution) > MAX_TEXT:
            raise BadImageSpec("caption too long")
        return spec


def render_image_bytes(spec: ImageSpec) -> bytes:
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": 85} if spec.format != "png" else {}
    if spec.format == "webp":
        options["method"] = 0
    draw_image(spec).save(buffer, format=FORMATS[spec.format], **options)
    return buffer.getvalue()


def caption_lines(spec: ImageSpec) -> list[str]:
    caption = spec.caption
    head = " · ".join(part for part in (caption.gateway, caption.task) if part)
    size = " · ".join(part for part in (f"{spec.width}x{spec.height}", spec.ratio, spec.resolution) if part)
    body = " · ".join(part for part in (caption.model, size) if part)
    return [head, body, f"“{caption.prompt}”" if caption.prompt else ""]


def panel_height(spec: ImageSpec) -> int:
    return 32 + 48 * scale_of(spec.width, spec.height)


def draw_image(spec: ImageSpec) -> Image:
    """The task's colour with a lighter band across its top-left third (so orientation is visible), and the
    caption panel when the image is large enough for it."""
    from PIL import Image, ImageDraw

    scheme = scheme_of(spec.color)
    image = Image.new("RGB", (spec.width, spec.height), spec.rgb)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, channel + 60) for channel in spec.rgb)
    draw.rectangle((0, 0, spec.width // 3, spec.height // 3), fill=light)
    k, top = scale_of(spec.width, spec.height), spec.height - panel_height(spec)
    if top < spec.height // 3 or spec.width < 96:
        return image
    draw.rectangle((0, top, spec.width, spec.height), fill=scheme.panel)
    draw.rectangle((0, top, spec.width, top + 2 * k - 1), fill=scheme.accent)
    for index, (text, fill) in enumerate(zip(caption_lines(spec), (scheme.text, scheme.dim, scheme.text), strict=True)):
        draw.text((16, top + 16 + 16 * k * index), text, font=font(12 * k), fill=fill)
    _draw_inputs(image, spec, top)
    return image


def _draw_inputs(image: Image, spec: ImageSpec, panel_top: int) -> None:
    """A composition's inputs as tiles in a row above the panel; one this instance does not hold is a blank tile."""
    from PIL import ImageDraw

    if not spec.inputs:
        return
    count = min(len(spec.inputs), MAX_INPUT_TILES)
    side = max(8, min(panel_top // 6, (spec.width - 16) // count - 16))
    draw, scheme = ImageDraw.Draw(image), scheme_of(spec.color)
    for index, key in enumerate(spec.inputs[:count]):
        left, top = 16 + index * (side + 16), panel_top - side - 16
        draw.rectangle((left - 2, top - 2, left + side + 1, top + side + 1), fill=scheme.text)
        tile = uploaded_image(key, (side, side))
        if tile is None:
            draw.rectangle((left, top, left + side - 1, top + side - 1), fill=scheme.dim)
        else:
            image.paste(tile, (left, top))
