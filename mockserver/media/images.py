"""Reading the images clients upload: the format and size come from the bytes, never from a name."""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass


class NotAnImage(ValueError):
    pass


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "png", "jpeg", "webp", ...
    width: int
    height: int
    size: int
    key: str = ""
    """Its content key in `media.uploads`, once a gateway has kept it to show in results."""

    @property
    def aspect(self) -> float:
        return self.width / self.height


def decode_base64(text: str) -> bytes:
    """Strict base64 (a `data:image/...;base64,` prefix is tolerated); raises NotAnImage when it is not base64."""
    if text.startswith("data:") and ";base64," in text:
        text = text.split(";base64,", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NotAnImage("is not valid base64") from None


def inspect_image(data: bytes) -> ImageInfo:
    """Identify an image by its header; raises NotAnImage for anything a decoder would refuse."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            fmt = (image.format or "").lower()
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(f"is not a readable image ({exc.__class__.__name__})") from None
    if width <= 0 or height <= 0:
        raise NotAnImage("has no pixels")
    return ImageInfo(fmt, width, height, len(data))
