"""The gateways the bench drives: one entry each. Adding a gateway to the bench is one line in GATEWAYS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.gateways.crazyrouter import models as crazyrouter
from mockserver.gateways.families import jimeng30
from mockserver.gateways.jimeng2api.models import catalog as jimeng2api_catalog


@dataclass(frozen=True)
class Output:
    """One kind of result file a gateway renders: its size, frame rate and frame count."""

    width: int
    height: int
    fps: int
    frames: int


@dataclass(frozen=True)
class Picture:
    """One kind of still a gateway renders: a generated image, or a video's thumbnail or spritesheet."""

    kind: str
    """image, thumbnail or spritesheet."""
    width: int
    height: int
    format: str
    """webp, jpeg or png."""
    frames: int = 0
    """A still's video: its frame count at 24 fps (a spritesheet has a tile per started second)."""


@dataclass(frozen=True)
class Gateway:
    id: str
    submit_path: str
    body: dict[str, Any]
    poll_path: str
    """With `{id}` where the task id goes."""
    id_key: str = "task_id"
    """Dotted path of the task id in the submit answer."""
    outputs: tuple[Output, ...] = field(default=())
    """Result files to time the MP4 writer on."""
    pictures: tuple[Picture, ...] = field(default=())
    """Result images and video stills to time the picture writers on."""

    def task_id(self, answer: Any) -> str:
        for key in self.id_key.split("."):
            answer = answer[key]
        return str(answer)


def _crazyrouter_outputs() -> tuple[Output, ...]:
    return tuple(
        Output(width, height, jimeng30.FPS, frames)
        for width, height in crazyrouter.SIZES_1080P.values()
        for frames in crazyrouter.FRAMES_BY_DURATION.values()
    )


def _octopusx_stills() -> tuple[Picture, ...]:
    sizes = [size for by_ratio in jimeng30.SIZES.values() for size in by_ratio.values()]
    thumbnails = [Picture("thumbnail", width, height, "webp") for width, height in sizes]
    sheets = [
        Picture("spritesheet", width, height, "jpeg", jimeng30.frames(seconds))
        for width, height in sizes
        for seconds in (5, 10)
    ]
    return (*thumbnails, *sheets)


def _jimeng2api_images() -> tuple[Picture, ...]:
    return tuple(
        Picture("image", width, height, "webp")
        for by_ratio in jimeng2api_catalog.IMAGE_SIZES.values()
        for width, height in by_ratio.values()
    )


_CAT = "An orange cat yawning by the window"

GATEWAYS: tuple[Gateway, ...] = (
    Gateway(
        "crazyrouter",
        "/crazyrouter/jimeng/submit/videos",
        {"model": "jimeng-video-3.0", "prompt": _CAT, "duration": 5, "aspect_ratio": "9:16"},
        "/crazyrouter/jimeng/fetch/{id}",
        outputs=_crazyrouter_outputs(),
    ),
    Gateway(
        "octopusx",
        "/octopusx/v1/videos",
        {"model": "jimeng-video-3.0", "prompt": _CAT, "seconds": "5", "size": "1280x720"},
        "/octopusx/v1/videos/{id}",
        id_key="id",
        pictures=_octopusx_stills(),
    ),
    Gateway(
        "gptge",
        "/gptge/task/jimeng/text2video",
        {"prompt": _CAT, "aspect_ratio": "16:9"},
        "/gptge/task/{id}",
        id_key="data.task_id",
    ),
    Gateway(
        "jimeng2api",
        "/jimeng2api/v1/videos/generations",
        {"model": "jimeng-video-3.0", "prompt": _CAT, "ratio": "16:9", "duration": 5},
        "/jimeng2api/v1/tasks/{id}",
        id_key="id",
        pictures=_jimeng2api_images(),
    ),
    Gateway(
        "jimmyai",
        "/jimmyai/api/open-api/v1/seedance/videos",
        {"model": "seedance2.0-std", "prompt": _CAT},
        "/jimmyai/api/open-api/v1/videos/{id}",
        id_key="data.task_id",
    ),
    Gateway(
        "ark",
        "/ark/api/v3/contents/generations/tasks",
        {
            "model": "doubao-seedance-1-0-pro-250528",
            "content": [{"type": "text", "text": _CAT}],
            "ratio": "16:9",
            "resolution": "720p",
            "duration": 5,
        },
        "/ark/api/v3/contents/generations/tasks/{id}",
        id_key="id",
    ),
)

API_KEY = "sk-bench"
HEADERS = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}


FINISHED_AFTER = 6 * 3600
"""Seconds on the virtual clock after which every gateway's default task has finished."""
