"""Result URLs every provider hands out: signed, expiring links to files the mock's media CDN serves."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from mockserver.media.routes import MEDIA_PREFIX
from mockserver.providers.base import ProviderContext
from mockserver.providers.http import public_base


def signed_url(context: ProviderContext, request: Request, path: str, params: Mapping[str, str], expires: int) -> str:
    """The absolute URL of `MEDIA_PREFIX/<provider>/<path>`, fetchable until `expires` on the mock's clock."""
    full_path = f"{MEDIA_PREFIX}/{context.provider_id}/{path.lstrip('/')}"
    query = context.signer.sign(full_path, params, expires)
    return f"{public_base(request, context.settings.public_url)}{full_path}?{query}"
