"""Turns a media spec into bytes, once: rendered files are kept with their ETag, the most recently asked for
first. A first render runs off the event loop when the caller can wait for it (`Kept.off_loop`): a 4k image
takes a fifth of a second, and every other request would wait that long too."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from mockserver.media.picture import ImageSpec
from mockserver.media.spec import VideoSpec

CONTENT_TYPES = {"mp4": "video/mp4", "webp": "image/webp", "jpg": "image/jpeg"}

Spec = TypeVar("Spec", bound=Hashable)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    etag: str


class Kept(Generic[Spec]):
    """`render(spec)`, kept for the last `size` specs asked for. Unlike `functools.lru_cache`, it can be asked
    whether it holds a spec, so a first render can be sent to a worker thread and a kept one answered in place."""

    def __init__(self, render: Callable[[Spec], Rendered], size: int) -> None:
        self.render = render
        self.size = size
        self._kept: OrderedDict[Spec, Rendered] = OrderedDict()

    def __call__(self, spec: Spec) -> Rendered:
        found = self.peek(spec)
        return found if found is not None else self._keep(spec, self.render(spec))

    async def off_loop(self, spec: Spec) -> Rendered:
        """As a call, with a first render in a worker thread (the image library lets go of the GIL to encode)."""
        found = self.peek(spec)
        return found if found is not None else self._keep(spec, await run_in_threadpool(self.render, spec))

    def peek(self, spec: Spec) -> Rendered | None:
        found = self._kept.get(spec)
        if found is not None:
            self._kept.move_to_end(spec)
        return found

    def cache_clear(self) -> None:
        self._kept.clear()

    def _keep(self, spec: Spec, rendered: Rendered) -> Rendered:
        self._kept[spec] = rendered
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return rendered


def _video(spec: VideoSpec) -> Rendered:
    from mockserver.media.video import render_video_file

    return _rendered(render_video_file(spec), CONTENT_TYPES["mp4"])


def _thumbnail(spec: VideoSpec) -> Rendered:
    from mockserver.media.stills import thumbnail

    return _rendered(thumbnail(spec, "WEBP"), CONTENT_TYPES["webp"])


def _spritesheet(spec: VideoSpec) -> Rendered:
    from mockserver.media.stills import spritesheet

    return _rendered(spritesheet(spec, "JPEG"), CONTENT_TYPES["jpg"])


def _image(spec: ImageSpec) -> Rendered:
    from mockserver.media.picture import render_image_bytes

    return _rendered(render_image_bytes(spec), spec.content_type)


def _rendered(body: bytes, content_type: str) -> Rendered:
    return Rendered(body, content_type, '"' + hashlib.sha1(body).hexdigest() + '"')


render_video = Kept(_video, 64)
render_thumbnail = Kept(_thumbnail, 64)
render_spritesheet = Kept(_spritesheet, 64)
render_image = Kept(_image, 32)

RENDERERS: dict[str, Kept[VideoSpec]] = {"mp4": render_video, "webp": render_thumbnail, "jpg": render_spritesheet}
"""What a file's extension renders: the video, its thumbnail (WebP) or its spritesheet (JPEG)."""
