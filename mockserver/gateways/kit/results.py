"""Signed result URLs for a task's video, honouring the scenario's result script (lifetime, CDN lag, no URL), and
the answers a finished task keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from starlette.requests import Request

from mockserver.engine import TaskView
from mockserver.gateways.kit.base import ProviderContext
from mockserver.gateways.kit.http import Rendered, called_address, public_base
from mockserver.gateways.kit.scripting import result_terms
from mockserver.media.routes import MEDIA_PREFIX
from mockserver.media.signing import UrlSigner
from mockserver.media.spec import VideoSpec, color_from_seed


def finished_at(view: TaskView) -> float:
    """When the task ended (the current instant if the engine has not dated it yet)."""
    return view.finished_at if view.finished_at is not None else view.now


def video_spec(view: TaskView) -> VideoSpec:
    """The file a task renders: providers keep width, height, fps and frames in the task's request."""
    request = view.task.request
    return VideoSpec(
        request["width"], request["height"], request["fps"], request["frames"], color_from_seed(view.task.seed)
    )


def signed_result_url(
    request: Request,
    context: ProviderContext,
    view: TaskView,
    path: str,
    default_ttl: float,
    spec: VideoSpec | None = None,
) -> str | None:
    """`{base}/__media/<provider>/<path>?...&signature=...` serving `spec` (default: `video_spec(view)`) in
    the format the path's extension names (mp4, or a still image), or None when the scenario withholds it."""
    terms = result_terms(context, view, default_ttl)
    if not terms.has_url:
        return None
    params = (spec or video_spec(view)).to_params()
    if terms.available_from is not None:
        params["nbf"] = str(terms.available_from)
    return signed_url(context, request, path, params, terms.expires)


def kept_json(
    request: Request, context: ProviderContext, view: TaskView, name: str, build: Callable[[], Any]
) -> Rendered:
    """A finished task's answer on one endpoint (`name`): `build()` rendered as JSON once and kept with the task,
    as its polls ask for it again and again. The task, its scenario (which may be redefined: the answer is then
    built again) and the address `request` came to decide it."""
    scenario = context.scenarios.get(view.task.scenario)
    key = (name, context.settings.public_url or called_address(request))
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
