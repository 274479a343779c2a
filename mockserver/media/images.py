"""Reading the images clients upload: the format and size come from the bytes, never from a name."""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

MAX_IMAGE_PIXELS = 8192 * 8192
"""The default of the `max_image_pixels` setting."""


class NotAnImage(ValueError):
    pass


class ImageTooLarge(NotAnImage):
    """The header declares more pixels than the mock reads: refused before anything decodes it."""


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


def inspect_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> ImageInfo:
    """Identify an image by its header; raises ImageTooLarge when it declares more than `max_pixels` (checked
    before the rest of the file is read), NotAnImage for anything a decoder would refuse."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow's own bomb limits: the mock's is `max_pixels`
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageTooLarge(f"is {width}x{height}: at most {max_pixels} pixels are accepted")
                image.verify()
                fmt = (image.format or "").lower()
    except Image.DecompressionBombError:  # past twice Pillow's limit, refused by Image.open from the header
        raise ImageTooLarge(
            f"declares far more pixels than {max_pixels}: at most {max_pixels} pixels are accepted"
        ) from None
    except ImageTooLarge:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(f"is not a readable image ({exc.__class__.__name__})") from None
    if width <= 0 or height <= 0:
        raise NotAnImage("has no pixels")
    return ImageInfo(fmt, width, height, len(data))
