"""Images uploaded to gateways whose upstream is Volcengine Visual (Crazyrouter, api.gpt.ge, OctopusX).

The limits are upstream's first-frame image rules (reference gateways.md, B.1): JPEG or PNG, at most
4.7 MB, sides at most 4096 px, short side at least 320 px, long-to-short ratio at most 3. Everything is
read from the bytes, never from a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mockserver.media.images import MAX_IMAGE_PIXELS, ImageInfo, NotAnImage, decode_base64, inspect_image
from mockserver.media.uploads import uploads

MAX_IMAGE_BYTES = 4_700_000
MAX_IMAGE_SIDE = 4096
MIN_IMAGE_SHORT_SIDE = 320
MAX_IMAGE_ASPECT = 3.0
IMAGE_FORMATS = frozenset({"jpeg", "png"})


class InvalidImage(ValueError):
    """The upload breaks one of upstream's image rules; the message says which."""


def check_first_frame(encoded: str, field: str, max_pixels: int = MAX_IMAGE_PIXELS) -> ImageInfo:
    """The base64 image sent as `field`, or InvalidImage naming the rule it breaks."""
    try:
        data = decode_base64(encoded)
    except NotAnImage as exc:
        raise InvalidImage(f"{field} {exc}") from None
    return check_image(data, field, max_pixels=max_pixels)


def check_image(
    data: bytes,
    field: str,
    formats: frozenset[str] = IMAGE_FORMATS,
    accepted: str = "JPEG and PNG",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> ImageInfo:
    """An uploaded image, identified by its bytes, within upstream's limits and the mock's `max_pixels` (the
    `max_image_pixels` setting); `formats` are those the gateway takes (named `accepted` in the message), kept
    (`media.uploads`) for the result video to start from. Raises InvalidImage naming the rule it breaks."""
    try:
        info = inspect_image(data, max_pixels)
    except NotAnImage as exc:
        raise InvalidImage(f"{field} {exc}") from None
    size = f"{field} is {info.width}x{info.height}"
    if info.format not in formats:
        raise InvalidImage(f"{field} is {info.format.upper()}: only {accepted} are accepted")
    if info.size > MAX_IMAGE_BYTES:
        raise InvalidImage(f"{field} is {info.size} bytes: the limit is 4.7 MB")
    if max(info.width, info.height) > MAX_IMAGE_SIDE:
        raise InvalidImage(f"{size}: sides must be at most {MAX_IMAGE_SIDE} px")
    if min(info.width, info.height) < MIN_IMAGE_SHORT_SIDE:
        raise InvalidImage(f"{size}: the short side must be at least {MIN_IMAGE_SHORT_SIDE} px")
    if max(info.aspect, 1 / info.aspect) > MAX_IMAGE_ASPECT:
        raise InvalidImage(f"{size}: the aspect ratio must be at most 3:1")
    return replace(info, key=uploads.keep(data))


def nearest_ratio(aspect: float, sizes: Mapping[str, tuple[int, int]]) -> str:
    """The aspect ratio name in `sizes` (name -> (width, height)) closest to `aspect` (width / height)."""
    return min(sizes, key=lambda name: abs(sizes[name][0] / sizes[name][1] - aspect))
