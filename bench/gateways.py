"""The gateways the bench drives: one entry each. Adding a gateway to the bench is one line in GATEWAYS."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench import bare_app
from bench.load import HttpRequest
from mockserver.core.volc_v4 import (
    ALGORITHM,
    DATE_FORMAT,
    KeyPair,
    canonical_request,
    default_key_pair,
    hex_sha256,
    signature,
)
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
    poll_body: dict[str, Any] | None = None
    """For a gateway polled with a POST to `poll_path`: the body, with `{id}` as the value the task id takes."""
    signed: bool = False
    """Requests carry a Volcengine V4 signature (`SIGNING_PAIR`) instead of the bench's key."""

    def task_id(self, answer: Any) -> str:
        for key in self.id_key.split("."):
            answer = answer[key]
        return str(answer)

    def submit(self, now: float) -> HttpRequest:
        """The submit request, signed (where the gateway wants it) at `now`, the mock's time."""
        return self._request("POST", self.submit_path, json.dumps(self.body).encode(), now)

    def poll(self, task_id: str, now: float) -> HttpRequest:
        if self.poll_body is None:
            return self._request("GET", self.poll_path.format(id=task_id), b"", now)
        body = {key: task_id if value == "{id}" else value for key, value in self.poll_body.items()}
        return self._request("POST", self.poll_path, json.dumps(body).encode(), now)

    def _request(self, method: str, path: str, body: bytes, now: float) -> HttpRequest:
        if self.signed:
            return HttpRequest(method, path, signed_headers(method, path, body, now), body)
        return HttpRequest(method, path, dict(HEADERS) if body else dict(AUTH), body)


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
        "volcengine",
        "/volcengine/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31",
        {"req_key": "jimeng_t2v_v30", "prompt": _CAT, "aspect_ratio": "16:9"},
        "/volcengine/?Action=CVSync2AsyncGetResult&Version=2022-08-31",
        id_key="data.task_id",
        poll_body={"req_key": "jimeng_t2v_v30", "task_id": "{id}"},
        signed=True,
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
AUTH = {"Authorization": HEADERS["Authorization"]}
SIGNING_PAIR = default_key_pair(0)
"""The pair the bench's mock accepts: it configures none (its key is a bearer key), so the one seed 0 fixes."""
BARE_PAIR = KeyPair(bare_app.ACCESS_KEY, bare_app.SECRET_KEY)
"""The pair the bare app's signed routes accept."""
SIGNED_HEADERS = ["content-type", "x-content-sha256", "x-date"]
"""Host is left unsigned (the mock checks the headers a client lists): a prepared request then serves any port."""


def signed_headers(method: str, path: str, body: bytes, now: float, pair: KeyPair = SIGNING_PAIR) -> dict[str, str]:
    """The headers of a request signed ahead with `pair`, X-Date at `now`. The mock accepts a date within 15
    minutes of its clock: the bench's virtual clock stands still while loads run, so the signature stays valid."""
    url = urlsplit(path)
    x_date = time.strftime(DATE_FORMAT, time.gmtime(now))
    body_sha256 = hex_sha256(body)
    headers = {"content-type": "application/json", "x-content-sha256": body_sha256, "x-date": x_date}
    canonical = canonical_request(method, url.path, parse_qsl(url.query), headers, SIGNED_HEADERS, body_sha256)
    scope = f"{x_date[:8]}/cn-north-1/cv/request"
    proof = signature(pair.secret_key, x_date, "cn-north-1", "cv", canonical)
    authorization = (
        f"{ALGORITHM} Credential={pair.access_key}/{scope}, SignedHeaders={';'.join(SIGNED_HEADERS)}, Signature={proof}"
    )
    return {
        "Content-Type": "application/json",
        "X-Content-Sha256": body_sha256,
        "X-Date": x_date,
        "Authorization": authorization,
    }


FINISHED_AFTER = 6 * 3600
"""Seconds on the virtual clock after which every gateway's default task has finished."""
