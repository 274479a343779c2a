"""Turns a media spec into bytes, once: rendered files are cached with their ETag."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from mockserver.media.picture import ImageSpec
from mockserver.media.spec import VideoSpec

CONTENT_TYPES = {"mp4": "video/mp4", "webp": "image/webp", "jpg": "image/jpeg"}


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    etag: str


@lru_cache(maxsize=64)
def render_video(spec: VideoSpec) -> Rendered:
    from mockserver.media.mp4 import render_mp4

    body = render_mp4(spec.width, spec.height, spec.fps, spec.duration, spec.rgb)
    return Rendered(body, CONTENT_TYPES["mp4"], '"' + hashlib.sha1(body).hexdigest() + '"')


@lru_cache(maxsize=64)
def render_thumbnail(spec: VideoSpec) -> Rendered:
    from mockserver.media.stills import thumbnail

    return _rendered(thumbnail(spec, "WEBP"), CONTENT_TYPES["webp"])


@lru_cache(maxsize=64)
def render_spritesheet(spec: VideoSpec) -> Rendered:
    from mockserver.media.stills import spritesheet

    return _rendered(spritesheet(spec, "JPEG"), CONTENT_TYPES["jpg"])


RENDERERS = {"mp4": render_video, "webp": render_thumbnail, "jpg": render_spritesheet}
"""What a file's extension renders: the video, its thumbnail (WebP) or its spritesheet (JPEG)."""


def _rendered(body: bytes, content_type: str) -> Rendered:
    return Rendered(body, content_type, '"' + hashlib.sha1(body).hexdigest() + '"')


@lru_cache(maxsize=32)
def render_image(spec: ImageSpec) -> Rendered:
    from mockserver.media.picture import render_image_bytes

    body = render_image_bytes(spec)
    return Rendered(body, spec.content_type, '"' + hashlib.sha1(body).hexdigest() + '"')
