"""Turns a media spec into bytes, once: rendered files are cached with their ETag."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from mockserver.media.picture import ImageSpec
from mockserver.media.spec import VideoSpec

CONTENT_TYPES = {"mp4": "video/mp4"}


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


@lru_cache(maxsize=32)
def render_image(spec: ImageSpec) -> Rendered:
    from mockserver.media.picture import render_image_bytes

    body = render_image_bytes(spec)
    return Rendered(body, spec.content_type, '"' + hashlib.sha1(body).hexdigest() + '"')
