"""Result files of finished tasks: signed, expiring URLs on the mock's own CDN (`/__media/`)."""

from __future__ import annotations

from starlette.requests import Request

from mockserver.engine import TaskView
from mockserver.media.routes import MEDIA_PREFIX
from mockserver.media.spec import VideoSpec
from mockserver.providers.base import ProviderContext
from mockserver.providers.http import public_base


def finished_at(view: TaskView) -> float:
    """When the task ended (the current instant if the engine has not dated it yet)."""
    return view.finished_at if view.finished_at is not None else view.now


def signed_video_url(context: ProviderContext, request: Request, name: str, spec: VideoSpec, expires: float) -> str:
    """An absolute URL serving `spec` as `/__media/<provider>/<name>` until `expires` (unix seconds)."""
    path = f"{MEDIA_PREFIX}/{context.provider_id}/{name.lstrip('/')}"
    query = context.signer.sign(path, spec.to_params(), int(expires))
    return f"{public_base(request, context.settings.public_url)}{path}?{query}"
