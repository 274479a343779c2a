"""Result files of a task, as signed media URLs: what the file is (from the task) and where it is served."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.engine import Task
from mockserver.media.spec import VideoSpec, color_from_seed
from mockserver.providers.base import ProviderContext
from mockserver.providers.http import public_base


def task_video_spec(task: Task) -> VideoSpec:
    """The video a task renders: the size, rate and frame count its provider recorded, a colour of its own."""
    request = task.request
    return VideoSpec(request["width"], request["height"], request["fps"], request["frames"], color_from_seed(task.seed))


def signed_url(context: ProviderContext, request: Request, path: str, spec: VideoSpec, expires: float) -> str:
    """An absolute URL for `path` under the media CDN, serving `spec` until `expires` on the mock's clock."""
    query = context.signer.sign(path, spec.to_params(), int(expires))
    return f"{public_base(request, context.settings.public_url)}{path}?{query}"
