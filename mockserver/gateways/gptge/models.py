"""api.gpt.ge's Jimeng video tasks, free of HTTP: what a submit asks for, how long it takes, how it ends,
and what a scenario makes of it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from mockserver.engine import LogNormal, Outcome, StepPlan, with_timings
from mockserver.gateways.families.uploads import InvalidImage, check_first_frame, nearest_ratio
from mockserver.gateways.families.volcengine_visual import L20_SIZES, RANDOM_SEED
from mockserver.media.images import MAX_IMAGE_PIXELS

SIZES = L20_SIZES
"""The seed's aspect ratios and the resolutions it lists for them (720P)."""
DEFAULT_ASPECT_RATIO = "16:9"
# "Output videos default to 5 seconds" (seed); upstream renders 24 fps and 24 * seconds + 1 frames (B.1).
FPS = 24
FRAMES = 121
REQ_KEYS = {"text2video": "jimeng_vgfm_t2v_l20", "image2video": "jimeng_vgfm_i2v_l20"}


class InvalidVideoRequest(ValueError):
    pass


class VideoRequest(NamedTuple):
    mode: str  # text2video | image2video
    req_key: str
    prompt: str
    seed: int
    aspect_ratio: str
    """The ratio rendered: the requested one, or for an uploaded image the nearest to the image's own."""
    requested_aspect_ratio: str
    width: int
    height: int
    fps: int
    frames: int
    image_source: str | None  # binary_data_base64 | image_urls
    image_digest: str | None
    image_key: str | None = None
    """The uploaded image's content key (`media.uploads`), shown by the result video."""

    @property
    def kind(self) -> str:
        """What the task renders (the media layer's `Output`)."""
        return "video"

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def parse_submit(mode: str, body: Mapping[str, Any], max_pixels: int = MAX_IMAGE_PIXELS) -> VideoRequest:
    """A contract-valid body as a task request; raises InvalidVideoRequest for what the schema cannot see
    (the bytes of an uploaded image). binary_data_base64 wins over image_urls when both are sent."""
    requested = str(body.get("aspect_ratio", DEFAULT_ASPECT_RATIO))
    aspect_ratio, source, digest, key = requested, None, None, None
    if mode == "image2video":
        if body.get("binary_data_base64"):
            source = "binary_data_base64"
            encoded = body["binary_data_base64"][0]
            try:
                image = check_first_frame(encoded, "binary_data_base64[0]", max_pixels)
            except InvalidImage as exc:
                raise InvalidVideoRequest(str(exc)) from None
            aspect_ratio = nearest_ratio(image.aspect, SIZES)
            digest, key = hashlib.sha256(encoded.encode()).hexdigest()[:16], image.key
        else:
            source = "image_urls"
            digest = hashlib.sha256(body["image_urls"][0].encode()).hexdigest()[:16]
    width, height = SIZES[aspect_ratio]
    return VideoRequest(
        mode=mode,
        req_key=REQ_KEYS[mode],
        prompt=body["prompt"],
        seed=int(body.get("seed", RANDOM_SEED)),
        aspect_ratio=aspect_ratio,
        requested_aspect_ratio=requested,
        width=width,
        height=height,
        fps=FPS,
        frames=FRAMES,
        image_source=source,
        image_digest=digest,
        image_key=key,
    )


DONE = Outcome("done")


def plan(request: VideoRequest, overrides: Mapping[str, Any]) -> tuple[list[StepPlan], Outcome]:
    """The task's steps and how it ends when nothing goes wrong: `done`."""
    return with_timings(_default_steps(request.mode), overrides), DONE


@lru_cache(maxsize=4)
def _default_steps(mode: str) -> tuple[StepPlan, StepPlan]:
    """The steps of a mode's task, 720P: a few seconds in the queue, then most of a minute of generation
    (assumed). Immutable: one pair serves every task of the mode."""
    generation = 45.0 if mode == "text2video" else 52.0
    in_queue = LogNormal(median=5, sigma=0.6, low=1, high=90)
    generating = LogNormal(median=generation, sigma=0.25, low=generation / 2, high=generation * 3)
    return StepPlan("in_queue", in_queue), StepPlan("generating", generating, (1, 99))
