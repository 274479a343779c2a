"""Serves signed result URLs (MP4 videos, their thumbnails and spritesheets; PNG, JPEG and WebP images) as a
CDN would: 200, 206 and 416 for ranges, 304 for a matching ETag, HEAD, 403 with a short XML body for an
expired or altered URL, and 404 while a file is not yet on the CDN (`nbf`)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.core.clock import Clock
from mockserver.media.picture import EXTENSIONS, BadImageSpec, ImageSpec
from mockserver.media.ranges import UnsatisfiableRange, parse_range
from mockserver.media.render import RENDERERS, Rendered, render_image
from mockserver.media.signing import ExpiredError, SignatureError, UrlSigner
from mockserver.media.spec import BadSpec, VideoSpec

MEDIA_PREFIX = "/__media"


def media_routes(signer: UrlSigner, clock: Clock) -> list[Route]:
    async def serve(request: Request) -> Response:
        path = request.url.path
        try:
            params = signer.verify(path, dict(request.query_params), clock.now())
        except ExpiredError:
            return _denied("AccessDenied", "Request has expired")
        except SignatureError:
            return _denied("SignatureDoesNotMatch", "The request signature we calculated does not match")
        extension = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        if clock.now() < int(params.get("nbf", 0)):
            return _pending(params["pending"]) if "pending" in params else _not_found()
        try:
            if "frames" in params and extension in RENDERERS:  # a video, or a still taken from it
                rendered = await RENDERERS[extension].off_loop(VideoSpec.from_params(params))
            elif extension in EXTENSIONS:
                rendered = await render_image.off_loop(ImageSpec.from_params(params, extension))
            else:
                return _not_found()
        except (BadSpec, BadImageSpec):
            return _not_found()
        return deliver(request, rendered, int(params["expires"]) - int(clock.now()))

    return [Route(MEDIA_PREFIX + "/{path:path}", serve, methods=["GET", "HEAD"])]


def deliver(request: Request, rendered: Rendered, max_age: int) -> Response:
    """A rendered file as a CDN answers: ETag, Range (206/416), If-None-Match (304), HEAD."""
    length = len(rendered.body)
    headers = {
        "accept-ranges": "bytes",
        "etag": rendered.etag,
        "cache-control": f"private, max-age={max(0, max_age)}",
    }
    if rendered.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    try:
        byte_range = parse_range(request.headers.get("range"), length)
    except UnsatisfiableRange:
        return Response(status_code=416, headers={**headers, "content-range": f"bytes */{length}"})
    status, body = 200, rendered.body
    if byte_range is not None:
        first, last = byte_range
        status, body = 206, rendered.body[first : last + 1]
        headers["content-range"] = f"bytes {first}-{last}/{length}"
    if request.method == "HEAD":
        return Response(
            status_code=status, media_type=rendered.content_type, headers={**headers, "content-length": str(len(body))}
        )
    return Response(body, status_code=status, media_type=rendered.content_type, headers=headers)


def _denied(code: str, message: str) -> Response:
    return Response(_xml_error(code, message), status_code=403, media_type="application/xml")


def _not_found() -> Response:
    return Response(
        _xml_error("NoSuchKey", "The specified key does not exist."), status_code=404, media_type="application/xml"
    )


def _pending(code: str) -> Response:
    """A file not yet ready, answered as the gateway's storage does when it names a code (Ark: video_not_ready)."""
    body = json.dumps({"error": {"code": code, "message": "The video is not ready yet, retry shortly."}})
    return Response(body, status_code=400, media_type="application/json")


def _xml_error(code: str, message: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>\n'
