"""Still images for result URLs: real PNG, JPEG or WebP bytes of an exact size, drawn in a task's colour."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

_COLOR = re.compile(r"^[0-9a-f]{6}$")
MAX_IMAGE_SIDE = 8192
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

    @property
    def rgb(self) -> tuple[int, int, int]:
        return int(self.color[0:2], 16), int(self.color[2:4], 16), int(self.color[4:6], 16)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def to_params(self) -> dict[str, str]:
        return {"w": str(self.width), "h": str(self.height), "color": self.color}

    @classmethod
    def from_params(cls, params: dict[str, str], extension: str) -> ImageSpec:
        fmt = EXTENSIONS.get(extension.lower())
        try:
            spec = cls(int(params["w"]), int(params["h"]), fmt or "", params["color"])
        except (KeyError, ValueError):
            raise BadImageSpec("incomplete image parameters") from None
        if fmt is None or not _COLOR.match(spec.color):
            raise BadImageSpec("unknown format or colour")
        if not (1 <= spec.width <= MAX_IMAGE_SIDE and 1 <= spec.height <= MAX_IMAGE_SIDE):
            raise BadImageSpec("bad size")
        return spec


def render_image_bytes(spec: ImageSpec) -> bytes:
    """A flat image in the spec's colour with a lighter band across it, so orientation is visible."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (spec.width, spec.height), spec.rgb)
    light = tuple(min(255, channel + 60) for channel in spec.rgb)
    ImageDraw.Draw(image).rectangle((0, 0, spec.width // 3, spec.height // 3), fill=light)
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": 85} if spec.format != "png" else {}
    if spec.format == "webp":
        options["method"] = 0
    image.save(buffer, format=FORMATS[spec.format], **options)
    return buffer.getvalue()
