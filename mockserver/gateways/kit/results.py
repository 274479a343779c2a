"""Signed result URLs for a task's video, honouring the scenario's result script (lifetime, CDN lag, no URL), and
the answers a finished task keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.requests import Request

from mockserver.engine import TaskView
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import Rendered, public_base
from mockserver.gateways.kit.scripting import result_terms
from mockserver.media.routes import MEDIA_PREFIX
from mockserver.media.signing import UrlSigner
from mockserver.media.spec import Caption, Output, VideoSpec, caption_of, color_from_seed


def finished_at(view: TaskView) -> float:
    """When the task ended (the current instant if the engine has not dated it yet)."""
    return view.finished_at if view.finished_at is not None else view.now


@dataclass(frozen=True, slots=True)
class StoredOutput:
    """A task's video as gateways keep it in the task's request (or a part of it): width, height, fps and frames.
    It is the media layer's `Output`."""

    width: int
    height: int
    fps: int
    frames: int
    kind: str = "video"

    @classmethod
    def of(cls, kept: Mapping[str, Any]) -> StoredOutput:
        return cls(width=kept["width"], height=kept["height"], fps=kept["fps"], frames=kept["frames"])


def stored_output(view: TaskView) -> Output:
    return StoredOutput.of(view.task.request)


def video_spec(view: TaskView, seed: int | None = None) -> VideoSpec:
    """The file a task renders: providers keep width, height, fps and frames in the task's request, and the
    content keys of the images it was given as `image_key` (one) or `image_keys` (first, last); the colour
    comes from `seed` (default: the task's)."""
    first, last = task_images(view.task.request)
    return VideoSpec.of(
        stored_output(view),
        color_from_seed(view.task.seed if seed is None else seed),
        caption=task_caption(view),
        first_image=first,
        last_image=last,
    )


def task_caption(view: TaskView) -> Caption:
    """What a task's result files show of it: gateway, task id, model (or upstream req_key) with a recamera
    task's template or a reference task's count of references, and the prompt."""
    task, request = view.task, view.task.request
    model = str(request.get("model") or request.get("req_key") or "")
    if request.get("template_id"):
        model += f" · template {request['template_id']}"
    elif request.get("mode") == "omni_reference":
        model += f" · {len(request.get('images') or ()) + len(request.get('videos') or ())} references"
    return caption_of(task.provider, task.id, model, request.get("prompt"))


def task_images(request: Mapping[str, Any]) -> tuple[str, str]:
    """Content keys of the first and last image a task was given (empty when none was uploaded)."""
    keys = [key or "" for key in request.get("image_keys") or [request.get("image_key")]]
    return keys[0], (keys[1] if len(keys) > 1 else "")


def signed_result_url(
    request: Request,
    context: ProviderContext,
    view: TaskView,
    path: str,
    default_ttl: float,
    spec: VideoSpec | None = None,
    pending: str | None = None,
) -> str | None:
    """`{base}/__media/<provider>/<path>?...&signature=...` serving `spec` (default: `video_spec(view)`) in
    the format the path's extension names (mp4, or a still image), or None when the scenario withholds it.
    While the scenario keeps the file off the CDN, the URL answers 404, or with `pending` a JSON 400 error of that
    code (Ark's video_not_ready)."""
    terms = result_terms(context, view, default_ttl)
    if not terms.has_url:
        return None
    params = (spec or video_spec(view)).to_params()
    if terms.available_from is not None:
        params["nbf"] = str(terms.available_from)
        if pending is not None:
            params["pending"] = pending
    return signed_url(context, request, path, params, terms.expires)


def kept_json(
    request: Request, context: ProviderContext, view: TaskView, name: str, build: Callable[[], Any]
) -> Rendered:
    """A finished task's answer on one endpoint (`name`): `build()` rendered as JSON once and kept with the task,
    as its polls ask for it again and again. The task, its scenario (which may be redefined: the answer is then
    built again) and the address `request` came to decide it."""
    scenario = context.scenarios.get(view.task.scenario)
    key = (name, public_base(request, context.settings.public_url))
    derived = view.task.derived
    if derived is None or len(derived) >= DERIVED_LIMIT:
        derived = view.task.derived = {}
    found = derived.get(key)
    if found is not None and found[0] is scenario:
        answer: Rendered = found[1]
        return answer
    answer = Rendered(build())
    derived[key] = (scenario, answer)
    return answer


DERIVED_LIMIT = 16
"""Answers kept with a task (one per endpoint and address it was asked from)."""


def signed_url(context: ProviderContext, request: Request, path: str, params: Mapping[str, str], expires: int) -> str:
    """The absolute URL of `MEDIA_PREFIX/<provider>/<path>` carrying `params`, fetchable until `expires`, at the
    address `request` came to (or the configured public URL)."""
    return signed_url_at(context, public_base(request, context.settings.public_url), path, params, expires)


def signed_url_at(context: ProviderContext, base: str, path: str, params: Mapping[str, str], expires: int) -> str:
    """`signed_url` under `base` (`scheme://host[:port]`), for code that is given the address, not the request."""
    full_path = f"{MEDIA_PREFIX}/{context.provider_id}/{path.lstrip('/')}"
    return _signed(context.signer, base, full_path, tuple(params.items()), expires)


@lru_cache(maxsize=4096)
def _signed(signer: UrlSigner, base: str, full_path: str, params: tuple[tuple[str, str], ...], expires: int) -> str:
    """A URL is a pure function of these, and a finished task's is asked for again at every poll."""
    return f"{base}{full_path}?{signer.sign(full_path, dict(params), expires)}"
