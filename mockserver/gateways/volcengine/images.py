"""Jimeng image services on Volcengine Visual, free of HTTP: text-to-image 3.0 / 3.1 and image-to-image 3.0 as
async tasks (CVSync2AsyncSubmitTask), text-to-image 2.1 answered at once (CVProcess).

Defaults and limits are the documented ones as public clients encode them (width and height 512-2048, default 1328;
2.1: 256-768, default 512; i2i scale 0-1, default 0.5). Results are `image_urls` (signed, valid 24 hours) when the
client asks for links (`return_url`), else `binary_data_base64`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mockserver.engine import LogNormal, StepPlan
from mockserver.gateways.families.uploads import InvalidImage, check_first_frame
from mockserver.gateways.families.volcengine_visual import RANDOM_SEED, effective_seed
from mockserver.gateways.kit.http import MalformedBody, dump_json, parse_json
from mockserver.gateways.volcengine.models import GENERATING, InvalidVideoRequest

IMAGE_FORMAT = "jpeg"
SUPER_RESOLUTION = 2


@dataclass(frozen=True)
class ImageKey:
    name: str
    default_side: int
    takes_image: bool = False
    synchronous: bool = False
    generation_seconds: float = 12.0


IMAGE_KEYS: dict[str, ImageKey] = {
    key.name: key
    for key in (
        ImageKey("jimeng_t2i_v30", 1328),
        ImageKey("jimeng_t2i_v31", 1328),
        ImageKey("jimeng_i2i_v30", 1328, takes_image=True, generation_seconds=15.0),
        ImageKey("jimeng_high_aes_general_v21_L", 512, synchronous=True),
    )
}
ASYNC_IMAGE_KEYS = frozenset(name for name, key in IMAGE_KEYS.items() if not key.synchronous)


class InvalidReqJson(ValueError):
    pass


def parse_image(body: Mapping[str, Any]) -> dict[str, Any]:
    """A contract-valid image body as the task's request (what it renders). Raises InvalidVideoRequest (the
    gateway's one "input invalid") for an uploaded image that breaks upstream's limits."""
    key = IMAGE_KEYS[body["req_key"]]
    width = int(body.get("width", key.default_side))
    height = int(body.get("height", key.default_side))
    if key.synchronous and body.get("use_sr", True):  # 2.1: AIGC super-resolution doubles the side (assumed x2)
        width, height = width * SUPER_RESOLUTION, height * SUPER_RESOLUTION
    digest, image_keys = None, []
    if key.takes_image:
        if body.get("binary_data_base64"):
            try:
                image = check_first_frame(body["binary_data_base64"][0], "binary_data_base64[0]")
            except InvalidImage as exc:
                raise InvalidVideoRequest(str(exc)) from None
            digest = hashlib.sha256(body["binary_data_base64"][0].encode()).hexdigest()[:16]
            image_keys = [image.key] if image.key else []
        else:
            digest = hashlib.sha256(body["image_urls"][0].encode()).hexdigest()[:16]
    return {
        "kind": "image",
        "req_key": key.name,
        "prompt": str(body["prompt"]),
        "seed": int(body.get("seed", RANDOM_SEED)),
        "width": width,
        "height": height,
        "scale": float(body.get("scale", 0.5)) if key.takes_image else None,
        "use_pre_llm": bool(body.get("use_pre_llm", True)),
        "image_digest": digest,
        "image_keys": image_keys,
        "return_url": bool(body.get("return_url", False)),
    }


def image_steps(req_key: str) -> list[StepPlan]:
    return list(_image_steps(req_key))


@lru_cache(maxsize=8)
def _image_steps(req_key: str) -> tuple[StepPlan, StepPlan]:
    median = IMAGE_KEYS[req_key].generation_seconds
    in_queue = LogNormal(median=2, sigma=0.5, low=0.5, high=30)
    generating = LogNormal(median=median, sigma=0.25, low=median / 2, high=median * 3)
    return StepPlan("in_queue", in_queue), StepPlan("generating", generating, GENERATING)


def req_json_options(req_json: str | None, max_depth: int) -> dict[str, Any]:
    """GetResult's `req_json`, a JSON object written as a string (return_url, logo_info, aigc_meta), read within the
    body's limits (nesting, digits). Raises InvalidReqJson for text that is not one."""
    if req_json is None or req_json == "":
        return {}
    try:
        options = parse_json(req_json.encode(), max_depth)
    except MalformedBody as exc:
        reason = str(exc).removeprefix("request body ")
        raise InvalidReqJson(f"req_json must be a JSON object written as a string ({reason})") from None
    if not isinstance(options, dict):
        raise InvalidReqJson("req_json must be a JSON object written as a string")
    return options


def image_resp_data(request: Mapping[str, Any], task_seed: int) -> str:
    """The JSON string a finished image task reports in data.resp_data (its content is the mock's, assumed)."""
    info = {
        "req_key": request["req_key"],
        "seed": effective_seed(request, task_seed),
        "width": request["width"],
        "height": request["height"],
    }
    return dump_json({"infer_ctx": info}).decode()
