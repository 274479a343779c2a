"""Volcengine Visual's Jimeng video services, free of HTTP: what each req_key takes and renders, how long its tasks
take, and the per-access-key queue that holds tasks `in_queue` past the concurrency quota.

Facts are the documented ones (reference gateways.md B.1); sizes are jimeng 3.0's (families.jimeng30) and, for the
S2.0 Pro (l20) keys, the ones api.gpt.ge documents for them (it passes those req_keys through).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mockserver.core.streams import Draws
from mockserver.engine import Fixed, Forever, LogNormal, Outcome, Polls, StepPlan, with_timings
from mockserver.engine.timing import Timing
from mockserver.gateways.families.jimeng30 import FPS, SIZES
from mockserver.gateways.families.queues import FifoQueue
from mockserver.gateways.families.uploads import InvalidImage, check_first_frame, nearest_ratio
from mockserver.gateways.families.volcengine_visual import L20_SIZES, RANDOM_SEED

DEFAULT_ASPECT_RATIO = "16:9"
DEFAULT_FRAMES = 121
DEFAULT_CONCURRENCY = 2
GENERATING = (1, 99)
_UNDRAWN = (Polls, Forever)


@dataclass(frozen=True)
class ReqKey:
    """One video service: how many images it takes, the sizes it renders by aspect ratio, whether `frames` is read."""

    name: str
    mode: str  # text2video | image2video | first_tail | recamera | text_or_image
    sizes: Mapping[str, tuple[int, int]]
    reads_frames: bool = True
    generation_seconds: float = 60.0
    """Median generation time of a 5-second video (assumed); 10 seconds take twice as long."""


REQ_KEYS: dict[str, ReqKey] = {
    key.name: key
    for key in (
        ReqKey("jimeng_t2v_v30", "text2video", SIZES["720P"]),
        ReqKey("jimeng_t2v_v30_1080p", "text2video", SIZES["1080P"], generation_seconds=90.0),
        ReqKey("jimeng_i2v_first_v30", "image2video", SIZES["720P"]),
        ReqKey("jimeng_i2v_first_v30_1080", "image2video", SIZES["1080P"], generation_seconds=90.0),
        ReqKey("jimeng_i2v_first_tail_v30", "first_tail", SIZES["720P"]),
        ReqKey("jimeng_i2v_first_tail_v30_1080", "first_tail", SIZES["1080P"], generation_seconds=90.0),
        ReqKey("jimeng_i2v_recamera_v30", "recamera", SIZES["720P"]),
        ReqKey("jimeng_ti2v_v30_pro", "text_or_image", SIZES["1080P"], generation_seconds=120.0),
        ReqKey("jimeng_vgfm_t2v_l20", "text2video", L20_SIZES, reads_frames=False, generation_seconds=45.0),
        ReqKey("jimeng_vgfm_i2v_l20", "image2video", L20_SIZES, reads_frames=False, generation_seconds=52.0),
    )
}


class InvalidVideoRequest(ValueError):
    pass


def parse_submit(body: Mapping[str, Any]) -> dict[str, Any]:
    """A contract-valid submit body as the task's request: what it renders (size, fps, frames) and what its look
    derives from. Raises InvalidVideoRequest for what the schema cannot see (the images' bytes)."""
    key = REQ_KEYS[body["req_key"]]
    requested = str(body.get("aspect_ratio", DEFAULT_ASPECT_RATIO))
    aspect_ratio = requested if requested in key.sizes else DEFAULT_ASPECT_RATIO
    source, digest, image_keys = None, None, []
    if body.get("binary_data_base64"):
        source = "binary_data_base64"
        images = [_image(encoded, f"binary_data_base64[{n}]", key) for n, encoded in enumerate(body[source])]
        ratios = [ratio for ratio, _ in images]
        if len(set(ratios)) > 1:
            raise InvalidVideoRequest(f"the first and last frames must have the same aspect ratio, not {ratios}")
        aspect_ratio = ratios[0]
        digest, image_keys = _digest(body[source]), [image_key for _, image_key in images]
    elif body.get("image_urls"):
        source = "image_urls"
        digest = _digest(body[source])
    frames = int(body.get("frames", DEFAULT_FRAMES)) if key.reads_frames else DEFAULT_FRAMES
    width, height = key.sizes[aspect_ratio]
    return {
        "req_key": key.name,
        "mode": key.mode,
        "prompt": str(body.get("prompt", "")),
        "seed": int(body.get("seed", RANDOM_SEED)),
        "aspect_ratio": aspect_ratio,
        "width": width,
        "height": height,
        "fps": FPS,
        "frames": frames,
        "image_source": source,
        "image_digest": digest,
        "image_keys": image_keys,
        "template_id": body.get("template_id"),
        "camera_strength": body.get("camera_strength", "medium") if key.mode == "recamera" else None,
    }


def _image(encoded: str, field: str, key: ReqKey) -> tuple[str, str | None]:
    """An uploaded frame's nearest aspect ratio among the req_key's, and its content key (the video starts on it)."""
    try:
        image = check_first_frame(encoded, field)
    except InvalidImage as exc:
        raise InvalidVideoRequest(str(exc)) from None
    return nearest_ratio(image.aspect, key.sizes), image.key


def _digest(items: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


DONE = Outcome("done")


def plan(request: Mapping[str, Any], overrides: Mapping[str, Any]) -> list[StepPlan]:
    """The task's steps before the queue settles them: a few seconds in_queue, then generation (assumed lengths),
    with the settings' timings by state."""
    return with_timings(list(_default_steps(request["req_key"], int(request["frames"]))), overrides)


@lru_cache(maxsize=64)
def _default_steps(req_key: str, frames: int) -> tuple[StepPlan, StepPlan]:
    median = REQ_KEYS[req_key].generation_seconds * (frames - 1) / (DEFAULT_FRAMES - 1)
    in_queue = LogNormal(median=5, sigma=0.6, low=1, high=90)
    generating = LogNormal(median=median, sigma=0.25, low=median / 2, high=median * 3)
    return StepPlan("in_queue", in_queue), StepPlan("generating", generating, GENERATING)


def settle(queue: FifoQueue, now: float, steps: Sequence[StepPlan], rng: Draws) -> list[StepPlan]:
    """The steps once the access key's queue has a say: generation starts after the task's own time in_queue and
    once one of the key's slots is free, and holds that slot while it runs. Steps keyed to polls, or that never
    end, keep their timing (a task stuck in_queue takes no slot)."""
    if len(steps) < 2:
        return list(steps)
    in_queue, generating = steps[0], steps[1]
    if isinstance(in_queue.timing, Forever):
        return list(steps)
    own_wait = 0.0 if isinstance(in_queue.timing, _UNDRAWN) else _drawn(in_queue.timing, rng)
    run = generating.timing if isinstance(generating.timing, _UNDRAWN) else Fixed(_drawn(generating.timing, rng))
    run_seconds = run.seconds if isinstance(run, Fixed) else math.inf if isinstance(run, Forever) else None
    wait = queue.admit(now + own_wait, run_seconds)
    queued: Timing = in_queue.timing if isinstance(in_queue.timing, Polls) else Fixed(own_wait + wait)
    if math.isinf(wait):
        queued = Forever()
    return [StepPlan("in_queue", queued, in_queue.progress), StepPlan("generating", run, generating.progress)]


def _drawn(timing: Any, rng: Draws) -> float:
    return int(timing.draw(rng) * 1000.0 + 0.5) / 1000.0  # whole milliseconds


@dataclass
class KeyQueues:
    """One FIFO queue per access key, `concurrency` tasks generating at once in each."""

    concurrency: int = DEFAULT_CONCURRENCY
    queues: dict[str, FifoQueue] | None = None

    def of(self, access_key: str) -> FifoQueue:
        if self.queues is None:
            self.queues = {}
        queue = self.queues.get(access_key)
        if queue is None:
            queue = self.queues[access_key] = FifoQueue.of(self.concurrency)
        return queue

    def release(self, access_key: str, start: float, end: float) -> None:
        """A cancelled task gives back the slot it would have held from `start` to `end`, when no later task has
        taken that slot since (it is then the slot's last booking)."""
        slots = self.of(access_key).slots
        for index, busy_until in enumerate(slots):
            if abs(busy_until - end) < 1e-6:
                slots[index] = start
                return

    def reset(self) -> None:
        self.queues = {}
