"""What a result file is, carried in its signed URL so any mock instance can serve it without a lookup.

Besides its geometry and colour, a file carries a short caption (gateway, task id, model, the prompt's first
words) that the renderers burn into it, and the content keys of the images the task was given (the bytes stay
in `media.uploads`, a bounded store; the URL carries only the 16-character key)."""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

_COLOR = re.compile(r"^[0-9a-f]{6}$")
_KEY = re.compile(r"^[0-9a-f]{16}$")
MAX_SIDE = 4096
MAX_FRAMES = 24 * 60
PROMPT_WORDS = 6
"""How many of the prompt's words a caption keeps."""
MAX_TEXT = 64
"""The longest caption field a URL may carry, in characters."""
_CAPTION_PARAMS = {"gateway": "gw", "task": "task", "model": "model", "prompt": "words"}


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


@dataclass(frozen=True)
class Caption:
    """The identification a result file shows: all fields optional (an empty caption draws only the colour)."""

    gateway: str = ""
    task: str = ""
    model: str = ""
    prompt: str = ""
    """The prompt's first words (see `first_words`)."""

    def to_params(self) -> dict[str, str]:
        return {key: value for name, key in _CAPTION_PARAMS.items() if (value := getattr(self, name))}

    @classmethod
    def from_params(cls, params: dict[str, str]) -> Caption:
        values = {name: params.get(key, "") for name, key in _CAPTION_PARAMS.items()}
        if any(len(value) > MAX_TEXT for value in values.values()):
            raise BadSpec("caption too long")
        return cls(**values)


def caption_of(gateway: str, task: str, model: object = "", prompt: object = "") -> Caption:
    """A caption from a task's fields, each cut to what a URL carries."""
    return Caption(gateway[:MAX_TEXT], task[:MAX_TEXT], str(model or "")[:MAX_TEXT], first_words(str(prompt or "")))


def first_words(prompt: str, words: int = PROMPT_WORDS, limit: int = 40) -> str:
    """The prompt's first `words` words, at most `limit` UTF-8 bytes (so at most a dozen CJK characters, each
    nine characters in a URL), "..." when cut (plain ASCII keeps the URL readable)."""
    parts = prompt.split()
    text = " ".join(parts[:words])
    if len(text.encode()) > limit:
        text = text.encode()[: limit - 3].decode(errors="ignore").rstrip()
    return text + "..." if text != " ".join(parts) else text


def keys_param(keys: tuple[str, ...]) -> str:
    return ",".join(keys)


def keys_from_param(value: str, limit: int) -> tuple[str, ...]:
    keys = tuple(key for key in value.split(",") if key)
    if len(keys) > limit or not all(_KEY.match(key) for key in keys):
        raise BadSpec("bad image keys")
    return keys


@dataclass(frozen=True, slots=True)
class VideoSpec:
    width: int
    height: int
    fps: int
    frames: int
    color: str  # rrggbb
    caption: Caption = field(default_factory=Caption)
    first_image: str = ""
    """Content key (`media.uploads`) of the image the video starts from; empty for text-to-video."""
    last_image: str = ""
    """Content key of the image the video ends on."""

    @classmethod
    def of(
        cls, output: Output, color: str, *, caption: Caption | None = None, first_image: str = "", last_image: str = ""
    ) -> VideoSpec:
        """The video file of a task's output, in `color`, showing `caption` and the images it was given."""
        if output.kind != "video":
            raise BadSpec(f"a {output.kind} output is not a video")
        return cls(
            width=output.width,
            height=output.height,
            fps=output.fps,
            frames=output.frames,
            color=color,
            caption=caption or Caption(),
            first_image=first_image,
            last_image=last_image,
        )

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def rgb(self) -> tuple[int, int, int]:
        return int(self.color[0:2], 16), int(self.color[2:4], 16), int(self.color[4:6], 16)

    def to_params(self) -> dict[str, str]:
        params = {
            "w": str(self.width),
            "h": str(self.height),
            "fps": str(self.fps),
            "frames": str(self.frames),
            "color": self.color,
        }
        images = {key: value for key, value in (("img", self.first_image), ("end", self.last_image)) if value}
        return params | self.caption.to_params() | images

    @classmethod
    def from_params(cls, params: dict[str, str]) -> VideoSpec:
        try:
            width, height = int(params["w"]), int(params["h"])
            fps, frames, color = int(params["fps"]), int(params["frames"]), params["color"]
        except (KeyError, ValueError):
            raise BadSpec("incomplete media parameters") from None
        images = [params.get(key, "") for key in ("img", "end")]
        if not all(_KEY.match(key) for key in images if key):
            raise BadSpec("bad image key")
        spec = cls(width, height, fps, frames, color, Caption.from_params(params), *images)
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
