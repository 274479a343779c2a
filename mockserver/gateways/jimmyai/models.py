"""jimmyai's Seedance tasks, free of HTTP: what a create asks for, what it renders, how long it takes, how it ends.

Which model may take what is the contract's request schema; what each model renders (route,
resolution, pixel sizes, frame rate) is the contract's `x-models` and `x-output` tables.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from mockserver.contracts.contract import Contract
from mockserver.core.streams import Draws
from mockserver.engine import LogNormal, Outcome, StepPlan, with_timings

SPEED_BY_RESOLUTION = {"480p": 0.7, "720p": 1.0, "1080p": 1.6, "2k": 2.4, "4k": 3.5}
_ID_ALPHABET = string.digits + string.ascii_lowercase
_ID_LENGTH = 16


@dataclass(frozen=True)
class ModelInfo:
    name: str
    route: str
    resolutions: tuple[str, ...]
    """One entry where the route fixes the resolution, else the choices."""
    fast: bool

    @property
    def fixed_resolution(self) -> bool:
        return len(self.resolutions) == 1


@dataclass(frozen=True)
class Catalogue:
    """The contract's model and output tables."""

    models: Mapping[str, ModelInfo]
    sizes: Mapping[str, Mapping[str, tuple[int, int]]]
    fps: int
    default_resolution: str

    @classmethod
    def from_contract(cls, contract: Contract) -> Catalogue:
        models = {
            name: ModelInfo(
                name=name,
                route=entry["route"],
                resolutions=tuple(entry.get("resolutions") or [entry["resolution"]]),
                fast=bool(entry.get("fast", False)),
            )
            for name, entry in contract.extension("x-models").items()
        }
        output = contract.extension("x-output")
        sizes = {
            resolution: {ratio: (int(w), int(h)) for ratio, (w, h) in by_ratio.items()}
            for resolution, by_ratio in output["sizes"].items()
        }
        return cls(models, sizes, int(output["fps"]), contract.extension("x-default-resolution")["value"])


class SeedanceRequest(NamedTuple):
    model: str
    route: str
    prompt: str
    duration: int
    ratio: str
    """The aspect ratio rendered (adaptive resolved)."""
    resolution: str
    width: int
    height: int
    fps: int
    frames: int
    mode: str  # text | reference | frames
    images: int
    first_image: bool
    last_image: bool
    reference_videos: int
    reference_audios: int

    @property
    def kind(self) -> str:
        """What the task renders (the media layer's `Output`)."""
        return "video"

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def parse_create(body: Mapping[str, Any], catalogue: Catalogue) -> SeedanceRequest:
    """A contract-valid create body as a task request."""
    model = catalogue.models[body["model"]]
    chosen = body.get("resolution", catalogue.default_resolution)
    resolution = model.resolutions[0] if model.fixed_resolution else chosen
    ratio = rendered_ratio(body.get("ratio"), body.get("orientation"))
    width, height = catalogue.sizes[resolution][ratio]
    duration = int(body.get("duration", 5))
    images = len(body.get("images") or [])
    first, last = bool(body.get("first_image")), bool(body.get("last_image"))
    videos, audios = len(body.get("reference_videos") or []), len(body.get("reference_audios") or [])
    mode = "frames" if first or last else ("reference" if images or videos or audios else "text")
    return SeedanceRequest(
        model=model.name,
        route=model.route,
        prompt=body["prompt"],
        duration=duration,
        ratio=ratio,
        resolution=resolution,
        width=width,
        height=height,
        fps=catalogue.fps,
        frames=duration * catalogue.fps,
        mode=mode,
        images=images,
        first_image=first,
        last_image=last,
        reference_videos=videos,
        reference_audios=audios,
    )


def rendered_ratio(ratio: str | None, orientation: str | None) -> str:
    """ratio wins; without one (or with adaptive, which needs the assets the mock cannot see) the
    orientation decides: portrait 9:16, otherwise 16:9."""
    if ratio and ratio.lower() != "adaptive":
        return ratio
    return "9:16" if orientation == "portrait" else "16:9"


COMPLETED = Outcome("completed")


def plan(
    request: SeedanceRequest, catalogue: Catalogue, overrides: Mapping[str, Any]
) -> tuple[list[StepPlan], Outcome]:
    """The task's steps and how it ends (a scenario may script a failure onto them)."""
    fast = catalogue.models[request.model].fast
    steps = _default_steps(request.duration, request.resolution, fast, request.mode != "text")
    return with_timings(steps, overrides), COMPLETED


@lru_cache(maxsize=64)
def _default_steps(duration: int, resolution: str, fast: bool, from_media: bool) -> tuple[StepPlan, StepPlan]:
    """The steps of such a task: a queue of seconds, then generation that grows with duration and resolution
    (fast models halve it). Immutable: one pair serves every task asking for the same."""
    generation = (20.0 + 9.0 * duration) * SPEED_BY_RESOLUTION[resolution]
    if fast:
        generation *= 0.5
    if from_media:
        generation *= 1.1
    queued = LogNormal(median=5, sigma=0.6, low=1, high=120)
    processing = LogNormal(median=generation, sigma=0.25, low=generation / 2, high=generation * 3)
    return StepPlan("queued", queued, (0, 0)), StepPlan("processing", processing, (1, 99))


def new_task_id(rng: Draws) -> str:
    """`"vid_"` and 16 characters of `[0-9a-z]`: the last 16 base-36 digits of a 128-bit draw, one draw rather than
    one per character (36**16 is under 2**83, so no character is likelier than another by more than 2**-45)."""
    number, size = rng.getrandbits(128), len(_ID_ALPHABET)
    chars = []
    for _ in range(_ID_LENGTH):
        number, index = divmod(number, size)
        chars.append(_ID_ALPHABET[index])
    return "vid_" + "".join(chars)
