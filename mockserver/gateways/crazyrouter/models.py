"""Crazyrouter's jimeng-video-3.0 tasks, free of HTTP: what a submit asks for, how long it takes, how it ends."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from mockserver.core.randomness import draw_between
from mockserver.core.streams import Draws
from mockserver.engine import Fixed, LogNormal, Outcome, StepPlan, with_timings
from mockserver.engine.timing import Timing
from mockserver.gateways.families.jimeng30 import FPS, SIZES, frames
from mockserver.gateways.families.uploads import InvalidImage, check_first_frame
from mockserver.gateways.families.uploads import nearest_ratio as nearest_named_ratio
from mockserver.media.images import MAX_IMAGE_PIXELS, ImageInfo

FRAMES_BY_DURATION = {seconds: frames(seconds) for seconds in (5, 10)}
DURATION_BY_FRAMES = {frames: seconds for seconds, frames in FRAMES_BY_DURATION.items()}

SIZES_1080P = SIZES["1080P"]  # Crazyrouter's mainline

FRAMES_FAILURE = "upstream pipeline rejected frames={frames}: jimeng 3.0 renders 121 or 241 frames"


class InvalidVideoRequest(ValueError):
    pass


class VideoRequest(NamedTuple):
    model: str
    mode: str  # text2video | image2video | recamera
    prompt: str
    duration: int
    aspect_ratio: str
    width: int
    height: int
    frames: int
    fps: int
    image_source: str | None  # image_url | binary_data_base64 | image_urls
    template_id: str | None
    camera_strength: str | None
    req_key: str | None
    unsupported_frames: int | None
    image_key: str | None = None
    """The uploaded first frame's content key (`media.uploads`), shown by the result video."""

    @property
    def kind(self) -> str:
        """What the task renders (the media layer's `Output`)."""
        return "video"

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def parse_submit(body: dict[str, Any], max_pixels: int = MAX_IMAGE_PIXELS) -> VideoRequest:
    """A contract-valid submit body as a task request; raises InvalidVideoRequest for what the schema cannot see."""
    image = _uploaded_image(body, max_pixels)
    source = next((key for key in ("image_url", "binary_data_base64", "image_urls") if key in body), None)
    template_id = body.get("template_id")
    duration = int(body.get("duration", 5))
    frames_field = body.get("frames")
    unsupported_frames = None
    if frames_field is not None:
        if frames_field in DURATION_BY_FRAMES:
            duration = DURATION_BY_FRAMES[frames_field]
        else:
            unsupported_frames = int(frames_field)
    aspect_ratio = body.get("aspect_ratio", "16:9")
    if image is not None:
        aspect_ratio = nearest_ratio(image.aspect)
    width, height = SIZES_1080P[aspect_ratio]
    mode = "recamera" if template_id else ("image2video" if source else "text2video")
    return VideoRequest(
        model=body["model"],
        mode=mode,
        prompt=body.get("prompt", ""),
        duration=duration,
        aspect_ratio=aspect_ratio,
        width=width,
        height=height,
        frames=FRAMES_BY_DURATION[duration],
        fps=FPS,
        image_source=source,
        template_id=template_id,
        camera_strength=body.get("camera_strength"),
        req_key=body.get("req_key"),
        unsupported_frames=unsupported_frames,
        image_key=image.key if image is not None else None,
    )


def _uploaded_image(body: dict[str, Any], max_pixels: int) -> ImageInfo | None:
    encoded = body.get("binary_data_base64")
    if not encoded:
        return None
    try:
        return check_first_frame(encoded[0], "binary_data_base64[0]", max_pixels)
    except InvalidImage as exc:
        raise InvalidVideoRequest(str(exc)) from None


def nearest_ratio(aspect: float) -> str:
    return nearest_named_ratio(aspect, SIZES_1080P)


@lru_cache(maxsize=8)
def _default_timings(duration: int, from_image: bool) -> tuple[Timing, Timing]:
    """Realistic 1080P step lengths: a queue of seconds, then a minute or two of generation."""
    generation = 75.0 if duration == 5 else 140.0
    if from_image:
        generation *= 1.15
    return (
        LogNormal(median=8, sigma=0.6, low=1, high=120),
        LogNormal(median=generation, sigma=0.25, low=generation / 2, high=generation * 3),
    )


SUCCEEDED = Outcome("succeeded")


def plan(request: VideoRequest, overrides: dict[str, Any]) -> tuple[list[StepPlan], Outcome]:
    """The task's steps and how it ends. Unsupported frames pass the submit and fail at the pipeline check."""
    steps = with_timings(_steps(*_default_timings(request.duration, request.mode != "text2video")), overrides)
    if request.unsupported_frames is not None:
        error = {"code": 400, "message": FRAMES_FAILURE.format(frames=request.unsupported_frames)}
        pipeline_check = [steps[0], StepPlan("processing", Fixed(4.0), (1, 5))]
        return pipeline_check, Outcome("failed", error=error)
    return steps, SUCCEEDED


@lru_cache(maxsize=64)
def _steps(queued: Timing, processing: Timing) -> tuple[StepPlan, StepPlan]:
    """The two steps for these timings (immutable, so one pair serves every task that has them)."""
    return StepPlan("queued", queued, (0, 0)), StepPlan("processing", processing, (1, 99))


def new_task_id(rng: Draws) -> str:
    return str(draw_between(rng, 10**18, 10**19))
