"""Signed result URLs for a task's video, honouring the scenario's result script (lifetime, CDN lag, no URL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from starlette.requests import Request

from mockserver.engine import TaskView
from mockserver.media.routes import MEDIA_PREFIX
from mockserver.media.signing import UrlSigner
from mockserver.media.spec import VideoSpec, color_from_seed
from mockserver.providers.base import ProviderContext
from mockserver.providers.http import public_base
from mockserver.providers.scripting import ResultTerms, result_terms

T = TypeVar("T")


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
    return kept(
        request, context, view, (path, terms, spec), lambda: _result_url(request, context, view, path, terms, spec)
    )


def _result_url(
    request: Request, context: ProviderContext, view: TaskView, path: str, terms: ResultTerms, spec: VideoSpec | None
) -> str:
    params = (spec or video_spec(view)).to_params()
    if terms.available_from is not None:
        params["nbf"] = str(terms.available_from)
    return signed_url(context, request, path, params, terms.expires)


def kept(request: Request, context: ProviderContext, view: TaskView, key: Any, build: Callable[[], T]) -> T:
    """`build()`, kept with the task under `key` and the public address `request` came to: for what a poll
    answers again and again once the task is finished (result URLs and what holds them). `key` names the value
    and everything else it depends on (the scenario's result terms). The value is shared: callers leave it as it is."""
    full_key = (key, public_base(request, context.settings.public_url))
    derived = view.task.derived
    if derived is None or len(derived) >= DERIVED_LIMIT:
        derived = view.task.derived = {}
    value: T | None = derived.get(full_key)
    if value is None:
        value = derived[full_key] = build()
    return value


def kept_result(
    request: Request, context: ProviderContext, view: TaskView, default_ttl: float, name: str, build: Callable[[], T]
) -> T:
    """`kept` for a finished task's value named `name` that holds its result URLs (which the scenario's result
    terms decide with the task)."""
    return kept(request, context, view, (name, result_terms(context, view, default_ttl)), build)


DERIVED_LIMIT = 16
"""Values kept with a task (one per kind and address it was asked for from)."""


def signed_url(context: ProviderContext, request: Request, path: str, params: Mapping[str, str], expires: int) -> str:
    """The absolute URL of `MEDIA_PREFIX/<provider>/<path>` carrying `params`, fetchable until `expires`."""
    full_path = f"{MEDIA_PREFIX}/{context.provider_id}/{path.lstrip('/')}"
    base = public_base(request, context.settings.public_url)
    return _signed(context.signer, base, full_path, tuple(params.items()), expires)


@lru_cache(maxsize=4096)
def _signed(signer: UrlSigner, base: str, full_path: str, params: tuple[tuple[str, str], ...], expires: int) -> str:
    """A URL is a pure function of these, and a finished task's is asked for again at every poll."""
    return f"{base}{full_path}?{signer.sign(full_path, dict(params), expires)}"
