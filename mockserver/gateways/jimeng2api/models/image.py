"""`POST /v1/images/generations` and `/v1/images/compositions`, free of HTTP: defaults, the ratio x resolution
table, region rules for nanobanana, multi-image prompts, composition inputs (reference A.7, the seed's README)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from mockserver.gateways.jimeng2api.body import Payload
from mockserver.gateways.jimeng2api.errors import bad_request, params_invalid
from mockserver.gateways.jimeng2api.models import catalog
from mockserver.gateways.jimeng2api.models.failures import TaskFailure

MULTI_IMAGE_MODELS = ("jimeng-4.0", "jimeng-4.1", "jimeng-4.5")
INTELLIGENT_RATIO_MODELS = ("jimeng-4.0", "jimeng-4.1", "jimeng-4.5", "jimeng-4.6", "jimeng-5.0")
_COUNT_IN_PROMPT = re.compile(r"(\d+)张")
_STORY_WORDS = ("连续", "绘本", "故事")
IMAGES_PER_DRAFT = 4  # a Jimeng draft yields four images (assumed)
MAX_MULTI_IMAGES = 15
MAX_COMPOSITION_IMAGES = 10
_RATIO_HINTS = (
    (("portrait", "vertical", "竖"), "9:16"),
    (("landscape", "horizontal", "panorama", "横"), "16:9"),
    (("square", "方形"), "1:1"),
)


class ImageRequest(NamedTuple):
    kind: str  # generation | composition
    model: str
    prompt: str
    negative_prompt: str
    ratio: str
    resolution: str
    intelligent_ratio: bool
    sample_strength: float
    response_format: str
    inputs: int = 0


@dataclass(slots=True)
class ImageOutput:
    width: int
    height: int
    count: int
    ratio: str
    resolution: str
    failure: TaskFailure | None


def parse_image(payload: Payload, kind: str) -> ImageRequest:
    """What is left after the contract's schema: composition inputs (1..10, URL strings or {url})."""
    body = payload.fields
    inputs = _composition_inputs(payload) if kind == "composition" else 0
    return ImageRequest(
        kind=kind,
        model=body.get("model") or catalog.DEFAULT_IMAGE_MODEL,
        prompt=body["prompt"],
        negative_prompt=body.get("negative_prompt") or "",
        ratio=body.get("ratio") or "1:1",
        resolution=body.get("resolution") or "2k",
        intelligent_ratio=bool(body.get("intelligent_ratio", False)),
        sample_strength=float(body.get("sample_strength", 0.5)),
        response_format=body.get("response_format") or "url",
        inputs=inputs,
    )


def normalise_form(fields: dict[str, Any]) -> dict[str, Any]:
    """Form values are text: `intelligent_ratio` is "true" or not, `sample_strength` a number in text."""
    normalised = dict(fields)
    if "intelligent_ratio" in normalised:
        normalised["intelligent_ratio"] = normalised["intelligent_ratio"] == "true"
    if isinstance(normalised.get("sample_strength"), str):
        try:
            number = float(normalised["sample_strength"])
        except ValueError:
            return normalised  # left as text: the schema answers Params body.sample_strength invalid
        if math.isfinite(number):
            normalised["sample_strength"] = number
    return normalised


def _composition_inputs(payload: Payload) -> int:
    if payload.multipart:
        files = payload.files.get("images", [])  # `request.files.images`: text fields named images do not count
        if not files:
            raise bad_request("在form-data中缺少 'images' 字段", "images")
        count = len(files)
    else:
        images = payload.fields.get("images")
        if not isinstance(images, list):
            raise params_invalid("body.images")
        for number, image in enumerate(images, start=1):
            if isinstance(image, dict):
                if not isinstance(image.get("url"), str):
                    raise bad_request(f"图片 {number} 缺少url字段", "images")
            elif not isinstance(image, str):
                raise bad_request(f"图片 {number} 格式不正确：应为URL字符串或包含url字段的对象", "images")
        count = len(images)
    if count < 1:
        raise bad_request("至少需要提供1张输入图片", "images")
    if count > MAX_COMPOSITION_IMAGES:
        raise bad_request("最多支持10张输入图片", "images")
    return count


def image_output(request: ImageRequest, region: str) -> ImageOutput:
    """Sizes from the table (nanobanana's region rules first), how many images, or why the task fails."""
    supported = catalog.image_models(region)
    ratio, resolution = request.ratio, request.resolution
    if request.intelligent_ratio and request.model in INTELLIGENT_RATIO_MODELS:
        ratio = infer_ratio(request.prompt, ratio)
    if request.model == "nanobanana" and region == "us":
        ratio, resolution = "1:1", "2k"  # fixed 1024x1024 at "2k"
    elif request.model == "nanobanana":
        resolution = "1k"
    failure: TaskFailure | None = None
    if request.model not in supported:
        message = f'Unsupported image model "{request.model}". Supported models: {", ".join(supported)}'
        failure = TaskFailure(message, "unsupported_model", type="invalid_request_error")
    elif resolution not in catalog.IMAGE_SIZES:
        failure = TaskFailure(
            f"不支持的分辨率 {resolution}，支持: {', '.join(catalog.IMAGE_RESOLUTIONS)}", "task_failed"
        )
    elif ratio not in catalog.IMAGE_SIZES[resolution]:
        failure = TaskFailure(f"不支持的比例 {ratio}，支持: {', '.join(catalog.IMAGE_RATIOS)}", "task_failed")
    if failure is not None:
        return ImageOutput(0, 0, 0, ratio, resolution, failure)
    width, height = catalog.IMAGE_SIZES[resolution][ratio]
    if request.model == "nanobanana" and region == "us":
        width, height = 1024, 1024
    elif request.model == "nanobananapro" and resolution == "4k":
        width, height = catalog.NANOBANANAPRO_4K[ratio]
    return ImageOutput(width, height, image_count(request), ratio, resolution, None)


def image_count(request: ImageRequest) -> int:
    if request.model in ("nanobanana", "nanobananapro"):
        return 1
    if request.model in MULTI_IMAGE_MODELS and request.kind == "generation":
        counted = _COUNT_IN_PROMPT.search(request.prompt)
        if counted:
            return max(1, min(MAX_MULTI_IMAGES, int(counted.group(1))))
        if any(word in request.prompt for word in _STORY_WORDS):
            return IMAGES_PER_DRAFT
    return IMAGES_PER_DRAFT


def infer_ratio(prompt: str, fallback: str) -> str:
    lowered = prompt.lower()
    return next((ratio for words, ratio in _RATIO_HINTS if any(w in lowered for w in words)), fallback)


def image_cost(request: ImageRequest, output: ImageOutput) -> int:
    """Credits a generation spends (assumed): 1 per draft, 2 at 4k."""
    return 2 if output.resolution == "4k" else 1


def describe(request: ImageRequest) -> dict[str, Any]:
    return {
        "model": request.model,
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "ratio": request.ratio,
        "resolution": request.resolution,
        "intelligent_ratio": request.intelligent_ratio,
        "sample_strength": request.sample_strength,
        "response_format": request.response_format,
    }
