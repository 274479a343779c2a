"""OctopusX's Jimeng video tasks, free of HTTP: what a create asks for, how long it takes, how it ends."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from mockserver.core.randomness import random_uuid
from mockserver.core.streams import Draws
from mockserver.engine import LogNormal, Outcome, StepPlan, with_timings
from mockserver.gateways.families import uploads
from mockserver.gateways.families.jimeng30 import FPS, SIZES, frames
from mockserver.media.images import MAX_IMAGE_PIXELS, ImageInfo, NotAnImage, decode_base64

DEFAULT_SECONDS = "5"
DEFAULT_SIZE = "720x1280"


IMAGE_FORMATS = frozenset({"png", "jpeg", "webp"})  # documented: png, jpeg, jpg, webp (jpg is jpeg by its bytes)
MAX_REFERENCE_FILES = 2


class InvalidVideoRequest(ValueError):
    pass


class VideoRequest(NamedTuple):
    model: str
    prompt: str
    seconds: str
    size: str
    width: int
    height: int
    frames: int
    fps: int
    mode: str  # text2video | image2video | first_last_frame
    references: int
    route: str  # videos | unified
    image_key: str | None = None
    """The uploaded reference image's content key (`media.uploads`), shown by the result video."""

    @property
    def kind(self) -> str:
        """What the task renders (the media layer's `Output`)."""
        return "video"

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def frames_for(seconds: int) -> int:
    return frames(seconds)


def parse_create(fields: dict[str, Any], files: list[bytes], max_pixels: int = MAX_IMAGE_PIXELS) -> VideoRequest:
    """A contract-valid `/v1/videos` body (text fields) and its uploaded files as a task request."""
    if len(files) > MAX_REFERENCE_FILES:
        raise InvalidVideoRequest(f"input_reference takes a single image file (got {len(files)})")
    keys = [
        check_image(data, "input_reference" if len(files) == 1 else f"input_reference[{number}]", max_pixels).key
        for number, data in enumerate(files)
    ]
    references = len(files)
    reference = fields.get("input_reference")
    if isinstance(reference, dict):
        reference = reference["image_url"]
    if isinstance(reference, str):
        if files:
            raise InvalidVideoRequest("send input_reference either as a file or as a URL, not both")
        if reference.startswith("data:"):
            try:
                keys.append(check_image(decode_base64(reference), "input_reference", max_pixels).key)
            except NotAnImage as exc:
                raise InvalidVideoRequest(f"input_reference {exc}") from None
        references = 1
    seconds = fields.get("seconds", DEFAULT_SECONDS)
    size = fields.get("size", DEFAULT_SIZE)
    width, height = (int(side) for side in size.split("x"))
    return VideoRequest(
        model=fields["model"],
        prompt=fields["prompt"],
        seconds=seconds,
        size=size,
        width=width,
        height=height,
        frames=frames_for(int(seconds)),
        fps=FPS,
        mode=_mode(references),
        references=references,
        route="videos",
        image_key=keys[0] if keys else None,
    )


def parse_unified(body: dict[str, Any]) -> VideoRequest:
    """A contract-valid `/v1/video/create` body as a task request."""
    images = body["images"]
    ratio = body.get("aspect_ratio", "16:9")
    resolution = body.get("size", "1080P")
    width, height = SIZES[resolution][ratio]
    seconds = int(body.get("duration", 5))
    return VideoRequest(
        model=body["model"],
        prompt=body["prompt"],
        seconds=str(seconds),
        size=f"{width}x{height}",
        width=width,
        height=height,
        frames=frames_for(seconds),
        fps=FPS,
        mode=_mode(len(images)),
        references=len(images),
        route="unified",
    )


def _mode(images: int) -> str:
    return ("text2video", "image2video", "first_last_frame")[images]


def check_image(data: bytes, name: str, max_pixels: int) -> ImageInfo:
    """An uploaded reference image, identified by its bytes, within the gateway's and upstream's limits."""
    try:
        return uploads.check_image(data, name, IMAGE_FORMATS, "png, jpeg, jpg and webp", max_pixels)
    except uploads.InvalidImage as exc:
        raise InvalidVideoRequest(str(exc)) from None


COMPLETED = Outcome("completed")


def plan(request: VideoRequest, overrides: dict[str, Any]) -> tuple[list[StepPlan], Outcome]:
    """The task's steps and how it ends (a scenario may reshape both)."""
    steps = _default_steps(request.seconds, request.width * request.height, request.mode, request.model)
    return with_timings(steps, overrides), COMPLETED


@lru_cache(maxsize=64)
def _default_steps(seconds: str, pixels: int, mode: str, model: str) -> tuple[StepPlan, StepPlan]:
    """The steps for a video of this length, size, mode and model: seconds in the queue, then about a minute per
    5 s of 720P video (more for 1080P). Immutable: one pair serves every such task."""
    generation = 40.0 * int(seconds) / 5 * (pixels / (1280 * 720)) ** 0.5
    if mode != "text2video":
        generation *= 1.15
    if model == "jimeng-video-2.0":
        generation *= 1.2
    queued = LogNormal(median=6, sigma=0.6, low=1, high=120)
    in_progress = LogNormal(median=generation, sigma=0.25, low=generation / 2, high=generation * 3)
    return StepPlan("queued", queued, (0, 0)), StepPlan("in_progress", in_progress, (1, 99))


def new_video_id(rng: Draws) -> str:
    return f"video_{rng.getrandbits(128):032x}"


def new_unified_id(rng: Draws) -> str:
    return random_uuid(rng)
