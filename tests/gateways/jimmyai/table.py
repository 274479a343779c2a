"""The seed's model rules, written out again for the tests (independently of the contract), and an
oracle that says whether a create body breaks one of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2
from starlette.testclient import TestClient

from tests.support import AUTH, ContractClient

CREATE = "/jimmyai/api/open-api/v1/seedance/videos"
QUERY = "/jimmyai/api/open-api/v1/videos/"

SIX = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
ARK = (*SIX, "adaptive", "Adaptive")
THREE_RES = ("480p", "720p", "1080p")


@dataclass(frozen=True)
class Rules:
    route: str
    duration: tuple[int, int]
    ratios: tuple[str, ...]
    resolution: str | tuple[str, ...]
    """The fixed resolution, or the choices."""
    max_images: int = 9
    audio: bool = True
    videos: bool = True
    scheme: str = "https"
    audio_asset: bool = False
    md: bool = False
    needs_image: bool = False


def _full(resolution: str, videos: bool) -> Rules:
    return Rules("full", (4, 12), ARK, resolution, videos=videos, scheme="asset")


MODELS: dict[str, Rules] = {
    "seedance2.0-std": Rules("std", (4, 15), SIX, "720p"),
    "seedance2.0-sp": Rules("sp", (4, 15), ARK, THREE_RES, audio_asset=True),
    "seedance2.0-fast-sp": Rules("sp", (4, 15), ARK, THREE_RES, audio_asset=True),
    "seedance2.0-of-sp": Rules("sp", (4, 15), ARK, THREE_RES, audio_asset=True),
    "seedance2.0-of-fast-sp": Rules("sp", (4, 15), ARK, THREE_RES, audio_asset=True),
    "seedance2.0-mini": Rules("mini", (4, 15), ARK, THREE_RES),
    "seedance2.0-mini-video": Rules("mini", (4, 15), ARK, THREE_RES),
    "seedance2.0-mini-sp": Rules("mini-sp", (4, 15), ARK, ("480p", "720p")),
    "seedance2.0-md": Rules("md", (1, 15), ("16:9", "9:16", "1:1"), "720p", max_images=4, audio=False, md=True),
    "seedance2.0-fast-md": Rules("md", (1, 15), ("16:9", "9:16", "1:1"), "720p", max_images=4, audio=False, md=True),
    "seedance2.0-fast-i2v": Rules("fast-i2v", (1, 15), ARK, "720p", audio=False, videos=False, needs_image=True),
    **{f"sd2_mx_{r}": _full(r, False) for r in ("720p", "1080p", "2k", "4k")},
    **{f"sd2_mx_fast_{r}": _full(r, False) for r in ("720p", "1080p")},
    **{f"sd2_mx_video_{r}": _full(r, True) for r in ("720p", "1080p", "2k", "4k")},
    **{f"sd2_mx_video_fast_{r}": _full(r, True) for r in ("720p", "1080p")},
}

# The output sizes of contracts/jimmyai.yaml x-output (assumed, after Ark's table).
SIZES = {
    "480p": {"16:9": (864, 480), "9:16": (480, 864), "1:1": (640, 640), "21:9": (960, 416)},
    "720p": {"16:9": (1248, 704), "9:16": (704, 1248), "1:1": (960, 960), "4:3": (1120, 832), "21:9": (1504, 640)},
    "1080p": {"16:9": (1920, 1088), "9:16": (1088, 1920), "3:4": (1248, 1664)},
    "2k": {"16:9": (2560, 1440), "1:1": (1920, 1920)},
    "4k": {"16:9": (3840, 2160), "9:16": (2160, 3840)},
}


def ref(model: str, kind: str = "img", n: int = 1) -> str:
    """A reference the model's route accepts: asset:// on the full route, https:// elsewhere."""
    if MODELS[model].scheme == "asset":
        return f"asset://{kind}-{n}"
    return f"https://example.com/{kind}-{n}." + {"img": "png", "vid": "mp4", "aud": "mp3"}[kind]


def minimal(model: str, **fields: Any) -> dict[str, Any]:
    """The smallest body the model accepts (Fast I2V needs an image), plus `fields`."""
    body: dict[str, Any] = {"model": model, "prompt": "a red fox running through snow"}
    if MODELS[model].needs_image:
        body["images"] = [ref(model)]
    return body | fields


def create(client: TestClient, body: Any, **headers: str) -> httpx2.Response:
    return client.post(CREATE, json=body, headers={**AUTH, **headers})


def query(client: TestClient, task_id: str) -> dict[str, Any]:
    response = client.get(QUERY + task_id, headers=AUTH)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def rejected(response: httpx2.Response, status: int = 400, code: str | int = "40000") -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["data"] is None, body
    message: str = body["msg"]
    assert message
    return message


def run_to_end(client: ContractClient, task_id: str, step: float = 5.0, limit: float = 3600.0) -> list[dict[str, Any]]:
    """Poll while advancing the virtual clock until the task is terminal; every data seen, in order."""
    seen = [query(client, task_id)]
    waited = 0.0
    while seen[-1]["status"] not in ("completed", "failed"):
        assert waited < limit, f"task {task_id} still {seen[-1]['status']} after {limit} s"
        client.runtime.clock.advance(step)
        waited += step
        seen.append(query(client, task_id))
    return seen


def _present(body: dict[str, Any], key: str) -> bool:
    return bool(body.get(key))


def broken_rule(body: dict[str, Any]) -> str | None:
    """Which seed rule a (type-correct) body breaks, or None. Written from the seed, not the contract."""
    rules = MODELS[body["model"]]
    images, frames = _present(body, "images"), _present(body, "first_image") or _present(body, "last_image")
    audios, videos = _present(body, "reference_audios"), _present(body, "reference_videos")
    duration = body.get("duration", 5)
    checks = [
        ("images + frames", images and frames),
        ("frames + audio", frames and audios),
        ("audio without image or video", audios and not (images or videos)),
        ("duration", not rules.duration[0] <= duration <= rules.duration[1]),
        ("ratio", "ratio" in body and body["ratio"] not in rules.ratios),
        ("resolution", isinstance(rules.resolution, tuple) and body.get("resolution", "720p") not in rules.resolution),
        ("images count", len(body.get("images") or []) > rules.max_images),
        ("audio count", len(body.get("reference_audios") or []) > 3),
        ("video count", len(body.get("reference_videos") or []) > 3),
        ("audio on this route", audios and not rules.audio),
        ("videos on this route", videos and not rules.videos),
        ("md frame pair", rules.md and frames and not (_present(body, "first_image") and _present(body, "last_image"))),
        ("md prompt", rules.md and len(body["prompt"]) > 5000),
        ("needs image", rules.needs_image and not (images or frames)),
        ("reference scheme", any(not _scheme_ok(rules, key, url) for key, url in _references(body))),
        ("image url as video", any(_is_image_url(url) for url in body.get("reference_videos") or [])),
    ]
    return next((name for name, broken in checks if broken), None)


def _references(body: dict[str, Any]) -> list[tuple[str, str]]:
    found = [(key, body[key]) for key in ("first_image", "last_image") if body.get(key)]
    for key in ("images", "reference_videos", "reference_audios"):
        found += [(key, url) for url in body.get(key) or [] if url]
    return found


def _scheme_ok(rules: Rules, key: str, url: str) -> bool:
    if rules.scheme == "asset":
        return url.startswith("asset://")
    if key == "reference_audios" and rules.audio_asset and url.startswith("asset://"):
        return True
    return url.startswith("https://")


def _is_image_url(url: str) -> bool:
    path = url.split("?")[0].split("#")[0].lower()
    return path.endswith((".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".heic", ".tif", ".tiff"))
