"""The three generation routes: `/v1/videos/generations`, `/v1/images/generations`, `/v1/images/compositions`.
Validation runs in the server's order: body fields (the contract's schema), the Authorization header, the
route's own rules, then the API key (401), the account, the queue. The task's scenario is chosen first (an
unknown name is a 400 before anything else) and applied when the task is queued."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.engine import TaskView
from mockserver.gateways.jimeng2api import errors
from mockserver.gateways.jimeng2api.body import Payload, read_payload
from mockserver.gateways.jimeng2api.errors import bad_request
from mockserver.gateways.jimeng2api.gateway import Gateway, Job, violation_error
from mockserver.gateways.jimeng2api.models import image as models_image
from mockserver.gateways.jimeng2api.models import video as models_video
from mockserver.gateways.jimeng2api.models.tasks import generation_steps
from mockserver.gateways.jimeng2api.routes.headers import credential, require_authorization_header
from mockserver.gateways.kit import scripting
from mockserver.gateways.kit.http import JsonResponse, mark_task
from mockserver.gateways.kit.scripting import prompt_too_long
from mockserver.media.images import ImageTooLarge, NotAnImage, inspect_image
from mockserver.media.picture import MAX_INPUT_TILES
from mockserver.media.uploads import uploads
from mockserver.scenarios import Selection

UNSUPPORTED_IMAGE_FIELDS = ("size", "width", "height")  # all named in one message, in this order
UNSUPPORTED_MESSAGE = "不支持的参数: {}。请使用 ratio 和 resolution 参数控制图像尺寸。"
HEAVY_VIDEO_MODELS = {"seedance": 2.0, "veo3": 1.5, "sora2": 1.5}


@lru_cache(maxsize=256)
def heavy_factor(model: str) -> float:
    """How much longer than the base a model's videos take to generate."""
    return next((factor for key, factor in HEAVY_VIDEO_MODELS.items() if key in model), 1.0)


def _kept_images(uploaded: list[bytes | None]) -> list[str]:
    """Content keys (`media.uploads`) of the uploaded images a result shows, in order: "" for one given as a URL
    (the mock never fetches it) or unreadable."""
    keys = []
    for data in uploaded[:MAX_INPUT_TILES]:
        try:
            keys.append(uploads.keep(data) if data is not None and inspect_image(data) else "")
        except NotAnImage:
            keys.append("")
    return keys


def _sources(materials: tuple[models_video.Material, ...]) -> tuple[str, ...]:
    """Where each input came from, as the task keeps it: its URL or `upload:<field>`."""
    return tuple(m.url or f"upload:{m.field}" for m in materials) if materials else ()


class GenerationRoutes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def _validated(self, request: Request, operation_id: str) -> tuple[Payload, Selection, str | None]:
        """The payload checked in the server's order, the task's scenario (its prompt tag removed), and the
        caller's credential."""
        payload = await read_payload(request, self.gateway.context.settings.max_json_depth)
        prompt = payload.fields.get("prompt")
        bearer = credential(request)
        context = self.gateway.context
        selection = scripting.select(request, context, prompt if isinstance(prompt, str) else None, bearer)
        if isinstance(prompt, str) and selection.prompt != prompt:
            payload.fields["prompt"] = selection.prompt or ""
        operation = self.gateway.context.contract.operation(operation_id)
        if operation_id != "createVideo" and (found := [n for n in UNSUPPORTED_IMAGE_FIELDS if n in payload.fields]):
            raise errors.bad_request(UNSUPPORTED_MESSAGE.format(", ".join(found)), None)
        if payload.multipart and operation_id != "createVideo":
            payload.fields = models_image.normalise_form(payload.fields)
        violation = operation.check_request(payload.fields)
        if violation is not None:
            raise violation_error(violation)
        max_prompt = self.gateway.context.settings.max_prompt_chars
        if (too_long := prompt_too_long(payload.fields.get("prompt"), max_prompt)) is not None:
            raise bad_request(too_long, "prompt")
        if bearer is None:  # a credential was read from it, so the header is there
            require_authorization_header(request)
        return payload, selection, bearer

    async def videos(self, request: Request) -> Response:
        payload, selection, bearer = await self._validated(request, "createVideo")
        video = models_video.parse_video(payload)
        caller = self.gateway.authenticate(bearer)
        session, token_id = self.gateway.acquire(caller)
        try:
            output = models_video.video_output(video, session.region, self.gateway.context.settings.max_image_pixels)
        except ImageTooLarge as exc:
            raise bad_request(f"{video.images[0].field} {exc}", video.images[0].field) from None
        heavy = heavy_factor(video.model)
        heavy *= 1.4 if output.resolution == "1080p" else 1.0
        job = Job(
            type="video_generation",
            prompt=video.prompt,
            response_format=video.response_format,
            media={"width": output.width, "height": output.height, "fps": models_video.FPS, "frames": output.frames},
            failure=output.failure,
            cost=models_video.video_cost(video),
            steps=generation_steps("video", video.duration, heavy),
            details={
                "model": video.model,
                "mode": video.mode,
                "function_mode": video.function_mode,
                "duration": video.duration,
                "ratio": output.ratio,
                "resolution": output.resolution,
                "images": _sources(video.images),
                "image_keys": _kept_images([m.upload.data if m.upload else None for m in video.images])[:2]
                if video.mode in ("image2video", "first_last_frames")
                else [],
                "videos": _sources(video.videos),
            },
        )
        return self._queued(request, await self.gateway.enqueue(caller, job, session, token_id, selection))

    def _queued(self, request: Request, view: TaskView) -> Response:
        mark_task(request, view.task.id)
        return JsonResponse(self.gateway.queued_object(view))

    async def images(self, request: Request) -> Response:
        return await self._image(request, "createImage", "generation")

    async def compositions(self, request: Request) -> Response:
        return await self._image(request, "createComposition", "composition")

    async def _image(self, request: Request, operation_id: str, kind: str) -> Response:
        payload, selection, bearer = await self._validated(request, operation_id)
        image = models_image.parse_image(payload, kind)
        caller = self.gateway.authenticate(bearer)
        session, token_id = self.gateway.acquire(caller)
        output = models_image.image_output(image, session.region)
        task_type = "image_generation" if kind == "generation" else "image_composition"
        details: dict[str, Any] = models_image.describe(image) | {
            "ratio": output.ratio,
            "resolution": output.resolution,
        }
        if kind == "composition":
            details["input_images"] = image.inputs
            details["image_keys"] = [
                key for key in _kept_images([u.data for u in payload.files.get("images", [])]) if key
            ]
        job = Job(
            type=task_type,
            prompt=image.prompt,
            response_format=image.response_format,
            media={"width": output.width, "height": output.height, "count": output.count},
            failure=output.failure,
            cost=models_image.image_cost(image, output),
            steps=generation_steps(task_type, heavy=1.5 if output.resolution == "4k" else 1.0),
            details=details,
        )
        return self._queued(request, await self.gateway.enqueue(caller, job, session, token_id, selection))
