"""What a result file is, carried in its signed URL so any mock instance can serve it without a lookup."""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

_COLOR = re.compile(r"^[0-9a-f]{6}$")
MAX_SIDE = 4096
MAX_FRAMES = 24 * 60


class BadSpec(ValueError):
    pass


class Output(Protocol):
    """What the media layer needs of a task: what it renders (`kind`: video or image), its size, and for a video its
    frame rate and frame count. Gateways keep these in the task's request."""

    @property
    def kind(self) -> str: ...

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def fps(self) -> int: ...

    @property
    def frames(self) -> int: ...


@dataclass(frozen=True, slots=True)
class VideoSpec:
    width: int
    height: int
    fps: int
    frames: int
    color: str  # rrggbb

    @classmethod
    def of(cls, output: Output, color: str) -> VideoSpec:
        """The video file of a task's output, in `color`."""
        if output.kind != "video":
            raise BadSpec(f"a {output.kind} output is not a video")
        return cls(width=output.width, height=output.height, fps=output.fps, frames=output.frames, color=color)

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def rgb(self) -> tuple[int, int, int]:
        return int(self.color[0:2], 16), int(self.color[2:4], 16), int(self.color[4:6], 16)

    def to_params(self) -> dict[str, str]:
        return {
            "w": str(self.width),
            "h": str(self.height),
            "fps": str(self.fps),
            "frames": str(self.frames),
            "color": self.color,
        }

    @classmethod
    def from_params(cls, params: dict[str, str]) -> VideoSpec:
        try:
            spec = cls(int(params["w"]), int(params["h"]), int(params["fps"]), int(params["frames"]), params["color"])
        except (KeyError, ValueError):
            raise BadSpec("incomplete media parameters") from None
        if not (16 <= spec.width <= MAX_SIDE and 16 <= spec.height <= MAX_SIDE) or spec.width % 2 or spec.height % 2:
            raise BadSpec("bad size")
        if not (1 <= spec.fps <= 60 and 1 <= spec.frames <= MAX_FRAMES) or not _COLOR.match(spec.color):
            raise BadSpec("bad timing or colour")
        return spec


def color_from_seed(seed: int) -> str:
    """A pleasant, clearly visible colour for a task (never near-black, never near-white)."""
    return _color_of_hue(seed % 360)


@lru_cache(maxsize=360)
def _color_of_hue(degrees: int) -> str:
    r, g, b = colorsys.hls_to_rgb(degrees / 360, 0.5, 0.65)
    return f"{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
