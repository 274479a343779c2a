"""Signed result URLs for finished tasks, shared by every provider: the file's spec rides in the URL,
under the HMAC, and the URL expires on the mock's clock."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.engine import Task, TaskView
from mockserver.media.routes import MEDIA_PREFIX
from mockserver.media.spec import VideoSpec, color_from_seed
from mockserver.providers.base import ProviderContext
from mockserver.providers.http import public_base


def finished_at(view: TaskView) -> float:
    """When the task ended (the instant of this read if a poll ended it)."""
    return view.finished_at if view.finished_at is not None else view.now


def task_video_spec(task: Task) -> VideoSpec:
    """The MP4 a task renders, from the `width`, `height`, `fps` and `frames` of its request."""
    request = task.request
    return VideoSpec(request["width"], request["height"], request["fps"], request["frames"], color_from_seed(task.seed))


def signed_video_url(context: ProviderContext, request: Request, key: str, spec: VideoSpec, expires: float) -> str:
    """`<base>/__media/<provider>/<key>?<spec>&expires=...&signature=...`, fetchable until `expires`."""
    path = f"{MEDIA_PREFIX}/{context.provider_id}/{key}"
    query = context.signer.sign(path, spec.to_params(), int(expires))
    return f"{public_base(request, context.settings.public_url)}{path}?{query}"
