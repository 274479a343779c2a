"""`POST /v1/videos/generations`, free of HTTP: durations per model, image inputs, the four modes and the
video the task will render (reference A.6 and the seed's README)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from mockserver.gateways.jimeng2api.body import Payload, Upload
from mockserver.gateways.jimeng2api.errors import bad_request, params_invalid
from mockserver.gateways.jimeng2api.models import catalog
from mockserver.gateways.jimeng2api.models.failures import TaskFailure
from mockserver.media.images import MAX_IMAGE_PIXELS, ImageTooLarge, NotAnImage, inspect_image
from mockserver.media.probe import mp4_duration

FPS = 24
_PARSE_INT = re.compile(r"^\s*([+-]?\d+)")
_IMAGE_FIELD = re.compile(r"^image_file(_\d+)?$")
_VIDEO_FIELD = re.compile(r"^video_file(_\d+)?$")
# fs.readFile(file.filepath) on the array koa-body makes of several files under one name (derived from the code)
SEVERAL_FILES_ERROR = 'The "path" argument must be of type string or an instance of Buffer or URL. Received undefined'
MAX_OMNI_IMAGES, MAX_OMNI_VIDEOS, MAX_OMNI_MATERIALS, MAX_OMNI_VIDEO_SECONDS = 9, 3, 12, 15.0


@dataclass(frozen=True)
class DurationRule:
    substrings: tuple[str, ...]
    allowed: tuple[int, ...]
    message: str


# Checked in this order on the user's model name (veo3.1 contains veo3); the first match decides. Every message
# ends with the value given, as the server's `${errorMessage}，当前值: ${durationValue}`.
DURATION_RULES = (
    DurationRule(("veo3.1", "veo3"), (8,), "veo3 模型仅支持 8 秒时长，当前值: {value}"),
    DurationRule(("sora2",), (4, 8, 12), "sora2 模型仅支持 4、8、12 秒时长，当前值: {value}"),
    DurationRule(("3.5-pro", "3.5_pro"), (5, 10, 12), "3.5-pro 模型仅支持 5、10、12 秒时长，当前值: {value}"),
    DurationRule(
        ("seedance-2.0", "40_pro", "40-pro"),
        tuple(range(4, 16)),
        "seedance 2.0/2.0-fast 模型支持 4~15 秒时长，当前值: {value}",
    ),
)
OTHER_DURATIONS = DurationRule((), (5, 10), "该模型仅支持 5、10 秒时长，当前值: {value}")
DEFAULT_DURATIONS = {"veo3": 8, "sora2": 4}


@lru_cache(maxsize=256)
def duration_rule(model: str) -> DurationRule:
    """The first rule whose substrings the model's name contains."""
    return next((rule for rule in DURATION_RULES if any(s in model for s in rule.substrings)), OTHER_DURATIONS)


ABSENT = object()


def parse_duration(value: Any, model: str, *, multipart: bool = False) -> int:
    """Step 2: integer text (multipart only, read as `parseInt`) or a finite integer, then the model's allowed
    values. Absent: the model's default. A JSON string, even "5", is of another type."""
    if value is ABSENT:
        return next((d for key, d in DEFAULT_DURATIONS.items() if key in model), 5)
    if multipart and isinstance(value, str):
        number = js_parse_int(value)
        if number is None or value.strip() != str(number):
            raise bad_request(f"duration 必须是整数，当前值: {value}", "duration")
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        if value != int(value):
            raise bad_request(f"duration 必须是整数，当前值: {value}", "duration")
        number = int(value)
    else:
        raise bad_request("duration 参数格式错误", "duration")
    rule = duration_rule(model)
    if number not in rule.allowed:
        raise bad_request(rule.message.format(value=number), "duration")
    return number


def js_parse_int(text: str) -> int | None:
    """JavaScript's `parseInt(text, 10)`: leading blanks, a sign and the digits that follow; None for NaN."""
    match = _PARSE_INT.match(text)
    return int(match.group(1)) if match else None


@dataclass
class Material:
    source: str  # file | url
    field: str
    upload: Upload | None = None
    url: str | None = None


class VideoRequest(NamedTuple):
    model: str
    prompt: str
    ratio: str
    resolution: str
    duration: int
    response_format: str
    function_mode: str
    images: tuple[Material, ...] = ()
    videos: tuple[Material, ...] = ()
    mode: str = "text2video"  # text2video | image2video | first_last_frames | omni_reference
    upload_error: str | None = None
    """Why the first frame's upload fails inside the task (the task fails with -2001), if it does."""


def parse_video(payload: Payload) -> VideoRequest:
    """Steps 2-4 of the route (step 1, field types, is the contract's schema)."""
    body = payload.fields
    model = body.get("model") or catalog.DEFAULT_VIDEO_MODEL
    duration = parse_duration(body.get("duration", ABSENT), model, multipart=payload.multipart)
    for name in ("file_paths", "filePaths"):  # validated in this order; null is not undefined
        if name in body and (not isinstance(body[name], list) or len(body[name]) > 2):
            raise params_invalid(f"body.{name}")
    camel_paths, snake_paths = body.get("filePaths") or [], body.get("file_paths") or []
    mode = body.get("functionMode") or "first_last_frames"
    images: list[Material]
    videos: list[Material] = []
    upload_error: str | None = None
    if mode == "omni_reference":
        urls = [u for u in [*camel_paths, *snake_paths] if isinstance(u, str)]
        images = _materials(payload, _IMAGE_FIELD) + [Material("url", "filePaths", url=u) for u in urls]
        videos = _materials(payload, _VIDEO_FIELD)
        if len(images) > MAX_OMNI_IMAGES:
            raise bad_request("全能模式最多上传9张图片", "image_file")
        if len(videos) > MAX_OMNI_VIDEOS:
            raise bad_request("全能模式最多上传3个视频", "video_file")
        if len(images) + len(videos) > MAX_OMNI_MATERIALS:
            raise bad_request("全能模式图片+视频总数不超过12个", None)
        kind = "omni_reference"
    else:
        if len(payload.files) > 2:
            raise bad_request("最多只能上传2个图片文件", None)
        urls = [u for u in (camel_paths or snake_paths) if isinstance(u, str)]  # filePaths preferred
        if payload.files:  # local files win over filePaths
            images = []
            for position, uploads in enumerate(payload.files.values()):
                if len(uploads) == 1:
                    images.append(Material("file", uploads[0].field, upload=uploads[0]))
                elif position == 0:  # an array where one file is read: the first frame's upload fails
                    upload_error = SEVERAL_FILES_ERROR
                # a later field with several files fails its upload too, which the server only logs
        else:
            images = [Material("url", "filePaths", url=u) for u in urls[:2]]
        kind = ("text2video", "image2video", "first_last_frames")[len(images)]
    return VideoRequest(
        model=model,
        prompt=body["prompt"],
        ratio=body.get("ratio") or "1:1",
        resolution=body.get("resolution") or "720p",
        duration=duration,
        response_format=body.get("response_format") or "url",
        function_mode=mode,
        images=tuple(images),
        videos=tuple(videos),
        mode=kind,
        upload_error=upload_error,
    )


def _materials(payload: Payload, pattern: re.Pattern[str]) -> list[Material]:
    found = [Material("file", u.field, upload=u) for u in payload.file_fields() if pattern.match(u.field)]
    for name, value in payload.fields.items():
        is_url = isinstance(value, str) and value.startswith("http")
        if pattern.match(name) and is_url and not any(m.field == name for m in found):
            found.append(Material("url", name, url=value))
    return found


@dataclass(slots=True)
class VideoOutput:
    width: int
    height: int
    ratio: str
    resolution: str
    frames: int
    failure: TaskFailure | None


def video_output(request: VideoRequest, region: str, max_pixels: int = MAX_IMAGE_PIXELS) -> VideoOutput:
    """What the task renders, or why it fails inside the task (unsupported model, omni rules, bad inputs).
    Raises ImageTooLarge for an upload declaring more than `max_pixels` (the mock's bound, not the server's)."""
    failure = _task_failure(request, region)
    if request.upload_error is not None:
        failure = failure or TaskFailure(f"首帧图片上传失败: {request.upload_error}", -2001)
    resolution = request.resolution if request.model in catalog.RESOLUTION_MODELS else "720p"
    ratio = request.ratio
    if request.images and request.images[0].upload is not None:
        try:
            info = inspect_image(request.images[0].upload.data, max_pixels)
            ratio = nearest_ratio(info.aspect)
        except ImageTooLarge:
            raise
        except NotAnImage:
            failure = failure or TaskFailure("首帧图片上传失败: 图片格式不支持或已损坏", -2001)
    sizes = catalog.VIDEO_SIZES.get(resolution)
    if ratio not in catalog.VIDEO_RATIOS or not sizes:
        failure = failure or TaskFailure(f"不支持的视频参数: ratio={ratio}, resolution={resolution}", "task_failed")
        ratio, sizes = "1:1", catalog.VIDEO_SIZES["720p"]
    width, height = sizes[ratio]
    return VideoOutput(width, height, ratio, resolution, FPS * request.duration + 1, failure)


def _task_failure(request: VideoRequest, region: str) -> TaskFailure | None:
    supported = catalog.video_models(region)
    if request.model not in supported:
        message = f'Unsupported video model "{request.model}". Supported models: {", ".join(supported)}'
        return TaskFailure(message, "unsupported_model", type="invalid_request_error")
    if request.function_mode == "omni_reference":
        if request.model not in catalog.SEEDANCE_2_MODELS:
            return TaskFailure(
                f"[请求失败]: 全能参考模式仅支持 Seedance 2.0 模型: {', '.join(catalog.SEEDANCE_2_MODELS)}", -2001
            )
        seconds = sum(mp4_duration(v.upload.data) or 0.0 for v in request.videos if v.upload is not None)
        if seconds > MAX_OMNI_VIDEO_SECONDS:
            return TaskFailure(f"[请求失败]: 参考视频总时长不能超过15秒，当前: {seconds:.1f}秒", -2001)
    return None


def nearest_ratio(aspect: float) -> str:
    ratios = {name: w / h for name, (w, h) in catalog.VIDEO_SIZES["720p"].items()}
    return min(ratios, key=lambda name: abs(math.log(ratios[name] / aspect)))


def video_cost(request: VideoRequest) -> int:
    """Credits a generation spends (assumed: upstream prices are not public)."""
    per_second = 2
    if "seedance" in request.model:
        per_second = 6
    elif "veo3" in request.model or "sora2" in request.model:
        per_second = 10
    return per_second * request.duration
