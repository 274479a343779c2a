"""Ark's Seedance tasks, free of HTTP: what a create asks for, what it renders, how long it runs.

Which model takes what is the contract's request schema; what each model renders (its family's sizes, its
default resolution) is the contract's `x-models`. A request arrives with its null fields already dropped.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mockserver.contracts.contract import Contract
from mockserver.core.streams import Draws
from mockserver.engine import LogNormal, StepPlan, with_timings
from mockserver.gateways.kit.stamps import utc_stamp
from mockserver.media.images import NotAnImage, decode_base64, inspect_image
from mockserver.media.uploads import uploads

FPS = 24
DEFAULT_DURATION = 5
MODEL_CHOSEN_DURATION = -1
"""`duration: -1` lets the model choose: the mock renders the default length (assumed)."""
DEFAULT_RATIO = "16:9"
ADAPTIVE = "adaptive"
DEFAULT_EXPIRES_AFTER = 172800
FLEX_SLOWDOWN = 3.0
"""How much longer a flex (offline) task waits in the queue (assumed: flex trades latency for price)."""
_ID_ALPHABET = string.ascii_lowercase + string.digits
IMAGE_FORMATS = frozenset({"jpeg", "png", "webp", "bmp", "tiff", "gif"})
MAX_IMAGE_BYTES = 30 * 1024 * 1024
MIN_IMAGE_SIDE, MAX_IMAGE_SIDE = 300, 6000
MIN_IMAGE_ASPECT, MAX_IMAGE_ASPECT = 0.4, 2.5


class InvalidTaskRequest(ValueError):
    """A rule the schema cannot see (an image's bytes); `param` names the field."""

    def __init__(self, param: str, reason: str) -> None:
        super().__init__(reason)
        self.param = param


@dataclass(frozen=True)
class Model:
    """One model's entry of the contract's `x-models`: what it renders and what it takes."""

    name: str
    family: str
    default_resolution: str
    generation_seconds: float
    durations: tuple[int, int]
    model_chosen: bool
    """It takes duration -1 (the model chooses)."""
    roles: frozenset[str]
    """The image roles it takes (none: text-to-video only)."""
    max_references: int
    media: bool
    """It takes reference videos and audios."""
    audio: bool
    """It takes generate_audio (and generates audio unless told not to)."""
    draft: bool
    flex: bool
    resolutions: tuple[str, ...]
    needs_image: bool

    @classmethod
    def of(cls, name: str, entry: Mapping[str, Any]) -> Model:
        low, high = entry["durations"]
        return cls(
            name,
            entry["family"],
            entry["default_resolution"],
            float(entry["generation_seconds"]),
            (int(low), int(high)),
            bool(entry.get("model_chosen", False)),
            frozenset(entry.get("roles", ())),
            int(entry.get("max_references", 0)),
            bool(entry.get("media", False)),
            bool(entry.get("audio", False)),
            bool(entry.get("draft", False)),
            bool(entry.get("flex", True)),
            tuple(entry.get("resolutions", ("480p", "720p", "1080p"))),
            bool(entry.get("needs_image", False)),
        )

    def violation(self, body: Mapping[str, Any], content: Content) -> tuple[str, str] | None:
        """The first rule of this model a (schema-valid) request breaks, as (param, reason), or None."""
        name = self.name
        duration, low, high = body.get("duration"), *self.durations
        if duration is not None and not (low <= duration <= high or (duration == -1 and self.model_chosen)):
            chosen = "-1 or " if self.model_chosen else ""
            return "duration", f"duration must be {chosen}from {low} to {high} seconds for {name}"
        if "frames" in body and self.family != "1.0":
            return "frames", "frames is for Seedance 1.0 models: use duration"
        if body.get("resolution", self.default_resolution) not in self.resolutions:
            return "resolution", f"{name} renders {' or '.join(self.resolutions)}"
        for field, allowed in (("generate_audio", self.audio), ("draft", self.draft)):
            if field in body and not allowed:
                return field, f"{field} is not supported by {name}"
        if body.get("service_tier") == "flex" and not self.flex:
            return "service_tier", f"service_tier flex is not available for {name}"
        kinds, roles = content.kinds, content.roles
        if not self.media and kinds & {"video_url", "audio_url"}:
            return "content", f"{name} takes no reference video or audio"
        if "draft_task" in kinds and not self.draft:
            return "content", f"{name} takes no draft task"
        if refused := sorted(set(roles) - self.roles):
            takes = ", ".join(sorted(self.roles)) or "no images (text-to-video)"
            return "content", f"{name} takes {takes}, not {', '.join(refused)}"
        if roles.count("reference_image") > self.max_references:
            return "content", f"{name} takes at most {self.max_references} reference images"
        if self.needs_image and not roles:
            return "content", f"{name} needs an image (a first frame, or reference images)"
        return None


@dataclass(frozen=True)
class Catalogue:
    """The contract's `x-models`: each model, and the sizes each family renders by resolution and ratio."""

    models: Mapping[str, Model]
    sizes: Mapping[str, Mapping[str, Mapping[str, tuple[int, int]]]]

    @classmethod
    def from_contract(cls, contract: Contract) -> Catalogue:
        table = contract.extension("x-models")
        models = {name: Model.of(name, entry) for name, entry in table.items() if name.startswith("doubao-")}
        sizes = {
            family: {
                res: {ratio: (int(w), int(h)) for ratio, (w, h) in by_ratio.items()} for res, by_ratio in table_.items()
            }
            for family, table_ in table["sizes"].items()
        }
        return cls(models, sizes)

    def size_table(self, model: Model) -> Mapping[str, Mapping[str, tuple[int, int]]]:
        """1.0 renders the 1.0 sizes; 1.5 and 2.0 the 1.5 ones."""
        return self.sizes["1.0" if model.family == "1.0" else "1.5"]


@dataclass(slots=True)
class Content:
    """A schema-valid request's content items, read once: its text, the kinds of item it has, its images and their
    roles."""

    prompt: str | None
    kinds: set[str]
    images: list[Mapping[str, Any]]
    roles: list[str]
    """Each image's role, in order (first_frame where it names none)."""

    @classmethod
    def of(cls, items: Sequence[Mapping[str, Any]]) -> Content:
        prompt, kinds, images, roles = None, set(), [], []
        for item in items:
            kind = item["type"]
            kinds.add(kind)
            if kind == "text" and prompt is None:
                prompt = item["text"]
            elif kind == "image_url":
                images.append(item)
                roles.append(item.get("role", "first_frame"))
        return cls(prompt, kinds, images, roles)

    def image(self, role: str) -> Mapping[str, Any] | None:
        """The first image in `role`, or None."""
        return self.images[self.roles.index(role)] if role in self.roles else None


def present(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body without its null fields: the SDK sends every optional field as null, meaning absent."""
    return {key: value for key, value in body.items() if value is not None}


def prompt_of(content: Sequence[Mapping[str, Any]]) -> str | None:
    return next((item.get("text") for item in content if item.get("type") == "text"), None)


def with_prompt(content: Sequence[Mapping[str, Any]], prompt: str | None) -> list[dict[str, Any]]:
    """The content with its text item's text replaced (dropped when `prompt` is empty)."""
    items: list[dict[str, Any]] = []
    for item in content:
        if item.get("type") == "text":
            if prompt:
                items.append({**item, "text": prompt})
        else:
            items.append(dict(item))
    return items


def parse_create(
    body: Mapping[str, Any],
    content: Content,
    model: Model,
    catalogue: Catalogue,
    *,
    max_pixels: int,
    draft_of: str | None = None,
) -> dict[str, Any]:
    """A contract-valid create body (nulls dropped) and its content as the task's request: what the task reports
    and renders."""
    first = content.image("first_frame")
    first_info = _image(first["image_url"]["url"], "content.image_url", max_pixels) if first is not None else None
    last = content.image("last_frame")
    last_info = _image(last["image_url"]["url"], "content.image_url", max_pixels) if last is not None else None
    for item in content.images:
        if item is not first and item is not last:
            _image(item["image_url"]["url"], "content.image_url", max_pixels)
    draft = bool(body.get("draft", False))
    resolution = "480p" if draft else str(body.get("resolution", model.default_resolution))
    table = catalogue.size_table(model)[resolution]
    ratio = str(body.get("ratio", ADAPTIVE if first is not None else DEFAULT_RATIO))
    if ratio == ADAPTIVE:
        ratio = _nearest(first_info[1], table) if first_info is not None else DEFAULT_RATIO
    width, height = table[ratio]
    frames = body.get("frames")
    duration = int(body.get("duration", DEFAULT_DURATION))
    if duration == MODEL_CHOSEN_DURATION:
        duration = DEFAULT_DURATION
    if frames is not None:
        duration = max(1, round(int(frames) / FPS))
    rendered_frames = int(frames) if frames is not None else duration * FPS + 1
    request: dict[str, Any] = {
        "model": model.name,
        "prompt": content.prompt or "",
        "mode": _mode(content),
        "ratio": ratio,
        "resolution": resolution,
        "width": width,
        "height": height,
        "fps": FPS,
        "frames": rendered_frames,
        "duration": duration,
        "frames_requested": frames is not None,
        "seed": int(body.get("seed", -1)),
        "camera_fixed": bool(body.get("camera_fixed", False)),
        "watermark": bool(body.get("watermark", False)),
        "return_last_frame": bool(body.get("return_last_frame", False)),
        "service_tier": str(body.get("service_tier", "default")),
        "execution_expires_after": int(body.get("execution_expires_after", DEFAULT_EXPIRES_AFTER)),
        "callback_url": body.get("callback_url"),
        "image_keys": [info[0] for info in (first_info, last_info) if info is not None],
    }
    if model.family != "1.0":
        request["generate_audio"] = bool(body.get("generate_audio", model.audio))
    if model.family == "1.5":
        request["draft"] = draft
    if draft_of is not None:
        request["draft_task_id"] = draft_of
    for name in ("safety_identifier", "priority"):
        if name in body:
            request[name] = body[name]
    if "tools" in body:
        request["tools"] = [{"type": str(tool["type"])} for tool in body["tools"]]
    return request


def _mode(content: Content) -> str:
    if content.kinds & {"video_url", "audio_url"} or "reference_image" in content.roles:
        return "omni_reference"
    if "last_frame" in content.roles:
        return "first_last_frame"
    if content.roles:
        return "first_frame"
    return "draft" if "draft_task" in content.kinds else "text"


def _image(url: str, param: str, max_pixels: int) -> tuple[str, float] | None:
    """A data: URL image checked against Ark's image rules (documented: jpeg, png, webp, bmp, tiff or gif, at most
    30 MB, sides 300 to 6000 px, width/height from 0.4 to 2.5) and kept for the video to start on: its content key
    and aspect. An http(s) or asset URL is not fetched (None)."""
    if not url.startswith("data:"):
        return None
    try:
        data = decode_base64(url)
        info = inspect_image(data, max_pixels)
    except NotAnImage as exc:
        raise InvalidTaskRequest(param, f"the image {exc}") from None
    if info.format not in IMAGE_FORMATS:
        raise InvalidTaskRequest(param, f"the image is {info.format.upper()}: jpeg, png, webp, bmp, tiff or gif only")
    if info.size > MAX_IMAGE_BYTES:
        raise InvalidTaskRequest(param, f"the image is {info.size} bytes: the limit is 30 MB")
    if not MIN_IMAGE_SIDE <= min(info.width, info.height) <= max(info.width, info.height) <= MAX_IMAGE_SIDE:
        raise InvalidTaskRequest(param, f"the image is {info.width}x{info.height}: sides must be 300 to 6000 px")
    if not MIN_IMAGE_ASPECT <= info.aspect <= MAX_IMAGE_ASPECT:
        raise InvalidTaskRequest(param, f"the image is {info.width}x{info.height}: width/height must be 0.4 to 2.5")
    return uploads.keep(data), info.aspect


def _nearest(aspect: float, sizes: Mapping[str, tuple[int, int]]) -> str:
    return min(sizes, key=lambda name: abs(sizes[name][0] / sizes[name][1] - aspect))


def new_task_id(created_at: float) -> Callable[[Draws], str]:
    """`cgt-<UTC yyyymmddhhmmss>-<5 characters>`, as Ark's ids look (cgt-20250702010712-qm644)."""
    stamp = utc_stamp(created_at, "%Y%m%d%H%M%S")

    def new_id(rng: Draws) -> str:
        number, tail = rng.getrandbits(32) % len(_ID_ALPHABET) ** 5, ""
        for _ in range(5):
            number, digit = divmod(number, len(_ID_ALPHABET))
            tail += _ID_ALPHABET[digit]
        return f"cgt-{stamp}-{tail}"

    return new_id


def plan(request: Mapping[str, Any], model: Model, timings: Mapping[str, Any]) -> list[StepPlan]:
    """A few seconds queued (longer on the flex tier), then generation in proportion to the video's length and
    pixels (assumed medians), with the settings' timings by state."""
    pixels = request["width"] * request["height"] / (1280 * 720)
    median = model.generation_seconds * request["duration"] / DEFAULT_DURATION * max(pixels, 0.4)
    if request.get("draft"):
        median /= 3
    queued = 4.0 * (FLEX_SLOWDOWN if request["service_tier"] == "flex" else 1.0)
    return with_timings(_typical_steps(queued, median), timings)


@lru_cache(maxsize=256)
def _typical_steps(queued: float, running: float) -> tuple[StepPlan, StepPlan]:
    """The steps around two medians, built once per pair: tasks of one model, length and size share them."""
    return (
        StepPlan("queued", LogNormal(median=queued, sigma=0.5, low=0.5, high=queued * 20)),
        StepPlan("running", LogNormal(median=running, sigma=0.25, low=running / 2, high=running * 3), (1, 99)),
    )


def usage(request: Mapping[str, Any]) -> dict[str, int]:
    """Tokens as Volcengine prices them: width x height x fps x duration / 1024 (documented formula)."""
    tokens = request["width"] * request["height"] * request["fps"] * request["duration"] // 1024
    return {"completion_tokens": tokens, "total_tokens": tokens}
