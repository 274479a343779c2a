"""Figures taken inside one process: memory per stored task, poll cost against store size, MP4 generation.

A gateway's real submit is made once through its app (in process, no socket), the `Submission` it
hands the engine is captured, and the store is then filled by submitting that through the engine
directly, with a fresh copy of its request each time (as each real submit has its own).
"""

from __future__ import annotations

import asyncio
import copy
import gc
import io
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from typing import Any

from bench.gateways import FINISHED_AFTER, Gateway, Picture
from bench.load import HttpRequest
from mockserver.engine import Submission, TaskEngine
from mockserver.gateways.families.jimeng30 import FPS, frames
from mockserver.media.picture import ImageSpec
from mockserver.media.render import Kept, Rendered, render_image, render_spritesheet, render_thumbnail, render_video
from mockserver.media.spec import VideoSpec, caption_of
from mockserver.media.uploads import uploads
from mockserver.server.app import create_app
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings


class InProcessMock:
    """The mock's ASGI app called directly: the whole HTTP stack above the socket."""

    def __init__(self, store: str = "memory") -> None:
        self.runtime = MockRuntime(
            Settings(clock="virtual", api_keys=("sk-bench",), max_tasks=10**9, store=store)
        )  # a million filled
        self.app = create_app(runtime=self.runtime)
        self.loop = asyncio.new_event_loop()

    def call(self, request: HttpRequest) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._call(request))

    async def _call(self, request: HttpRequest) -> tuple[int, bytes]:
        path, _, query = request.path.partition("?")
        body = request.body
        headers = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)

    def capture_submission(self, gateway: Gateway) -> tuple[Submission, str]:
        """Submit once through the gateway's app; the Submission its provider gave the engine, and the task id."""
        engine = self.runtime.engine
        captured: list[Submission] = []
        original = TaskEngine.submit

        def recording(submission: Submission) -> Any:
            captured.append(submission)
            return original(engine, submission)

        engine.submit = recording  # type: ignore[method-assign]
        try:
            status, answer = self.call(gateway.submit(self.runtime.clock.now()))
        finally:
            del engine.submit
        if status != 200 or not captured:
            raise RuntimeError(f"{gateway.id} submit answered {status}: {answer[:300]!r}")
        return captured[0], gateway.task_id(json.loads(answer))

    def fill(self, submission: Submission, count: int) -> list[str]:
        submit = self.runtime.engine.submit
        return [submit(replace(submission, request=copy.deepcopy(submission.request))).task.id for _ in range(count)]

    def close(self) -> None:
        self.loop.close()


def memory_per_task(gateway: Gateway, count: int, polled: int = 20_000) -> dict[str, Any]:
    """Bytes per stored task; and per task once finished and polled (what a finished task keeps: its answer),
    from `polled` of them."""
    mock = InProcessMock()
    submission, _ = mock.capture_submission(gateway)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ids = mock.fill(submission, count)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    mock.runtime.clock.advance(FINISHED_AFTER)
    for task_id in ids[:polled]:
        mock.call(gateway.poll(task_id, mock.runtime.clock.now()))
    gc.collect()
    kept = (tracemalloc.get_traced_memory()[0] - after) / min(polled, count)
    tracemalloc.stop()
    mock.close()
    per_task = (after - before) / count
    return {
        "tasks": count,
        "bytes_per_task": round(per_task),
        "mb_per_100k": round(per_task * 100_000 / 2**20, 1),
        "bytes_per_finished_polled_task": round(per_task + kept),
    }


POLL_BATCHES = 5


def poll_cost(gateway: Gateway, small: int, large: int, polls: int) -> dict[str, Any]:
    """Microseconds per poll through the in-process app (and through the engine alone) at two store sizes.
    Both stores are kept side by side and timed in alternating batches; the growth is the median ratio of
    adjacent batches, as the machine's speed drifts over the seconds that filling the large store takes."""
    stores = {size: _filled(gateway, size) for size in (small, large)}
    batches: dict[int, list[float]] = {size: [] for size in stores}
    for _ in range(POLL_BATCHES):
        for size, (mock, ids) in stores.items():
            batches[size].append(_time_polls(mock, gateway, ids, polls // POLL_BATCHES))
    figures = {
        str(size): {"app_us": round(statistics.median(batches[size]), 2), "engine_us": _time_engine(mock, ids, polls)}
        for size, (mock, ids) in stores.items()
    }
    ratios = sorted(round(big / little, 2) for little, big in zip(batches[small], batches[large], strict=True))
    for mock, _ in stores.values():
        mock.close()
    return {"by_store_size": figures, "growth": statistics.median(ratios), "batch_ratios": ratios}


def _filled(gateway: Gateway, size: int) -> tuple[InProcessMock, list[str]]:
    """A mock holding `size` tasks of the gateway, and the ids of some of them to poll."""
    mock = InProcessMock()
    submission, first_id = mock.capture_submission(gateway)
    mock.fill(submission, size - len(mock.runtime.store))
    ids = [task.id for _, task in zip(range(200), mock.runtime.store.scan(mock.runtime.clock.now()), strict=False)]
    return mock, [*ids, first_id]


def _time_polls(mock: InProcessMock, gateway: Gateway, ids: list[str], polls: int) -> float:
    now = mock.runtime.clock.now()
    requests = [gateway.poll(task_id, now) for task_id in ids]
    started = time.perf_counter()
    for index in range(polls):
        status, _ = mock.call(requests[index % len(requests)])
        assert status == 200, status
    return (time.perf_counter() - started) / polls * 1e6


def _time_engine(mock: InProcessMock, ids: list[str], polls: int) -> float:
    engine = mock.runtime.engine
    provider = next(iter(mock.runtime.contexts))
    started = time.perf_counter()
    for index in range(polls):
        engine.poll(provider, ids[index % len(ids)])
    return round((time.perf_counter() - started) / polls * 1e6, 2)


BENCH_CAPTION = caption_of(
    "crazyrouter", "cgt-20261206-8f3a2c1d", "jimeng-video-3.0", "A red fox runs through fresh snow"
)
"""What a result file shows of a typical task (the renders draw it)."""


def mp4_figures(gateway: Gateway, limit: int | None = None) -> list[dict[str, Any]]:
    """Time and size of each output the gateway renders, with its caption: first render, then the cached answer."""
    rows = []
    for output in gateway.outputs[:limit]:
        spec = VideoSpec(output.width, output.height, output.fps, output.frames, "2d6fd2", BENCH_CAPTION)
        rows.append({"size": f"{output.width}x{output.height}", "seconds": round(output.frames / output.fps, 2),
                     "frames": output.frames} | _timed_video(spec))  # fmt: skip
    return rows


def image_to_video_figures(gateway: Gateway) -> list[dict[str, Any]]:
    """The gateway's first output started from an uploaded image, then also ended on another (the frames that
    show an image are coded as they are, so these files are far larger than a text-to-video one)."""
    output = gateway.outputs[0]
    first, last = (uploads.keep(_photo(index)) for index in range(2))
    spec = VideoSpec(output.width, output.height, output.fps, output.frames, "2d6fd2", BENCH_CAPTION, first)
    rows = []
    for kind, with_images in (("first frame", spec), ("first and last frame", replace(spec, last_image=last))):
        rows.append({"kind": kind, "size": f"{output.width}x{output.height}",
                     "seconds": round(output.frames / output.fps, 2)} | _timed_video(with_images))  # fmt: skip
    return rows


def _timed_video(spec: VideoSpec) -> dict[str, Any]:
    render_video.cache_clear()
    started = time.perf_counter()
    body = render_video(spec).body
    first_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    render_video(spec)
    cached_us = (time.perf_counter() - started) * 1e6
    return {"first_ms": round(first_ms, 2), "cached_us": round(cached_us, 2), "bytes": len(body)}


def _photo(index: int) -> bytes:
    """A 1024x1024 PNG with gradients and shapes, as an uploaded photo might be."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((1024, 1024)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for step in range(0, 1024, 64):
        draw.ellipse(
            (step, step // 2, step + 200, step // 2 + 200), fill=(200 - step // 8, 40 + 100 * index, step // 4)
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def picture_figures(gateway: Gateway, limit: int | None = None) -> list[dict[str, Any]]:
    """Time and size of each image and video still the gateway renders through the serving path's cached
    renderers: first render, then the cached answer."""
    rows = []
    warmed: set[str] = set()
    for picture in gateway.pictures[:limit]:
        if picture.kind not in warmed:  # the first of a kind loads the image library and its codec
            _renderer(replace(picture, width=16, height=16))()
            warmed.add(picture.kind)
        render = _renderer(picture)
        _PICTURE_RENDERERS[picture.kind].cache_clear()
        started = time.perf_counter()
        rendered = render()
        first_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        render()
        cached_us = (time.perf_counter() - started) * 1e6
        row: dict[str, Any] = {
            "kind": picture.kind,
            "size": f"{picture.width}x{picture.height}",
            "format": picture.format,
        }
        if picture.kind == "spritesheet":
            row["seconds"] = round(picture.frames / FPS, 2)
        row |= {"first_ms": round(first_ms, 2), "cached_us": round(cached_us, 2), "bytes": len(rendered.body)}
        rows.append(row)
    return rows


_PICTURE_RENDERERS: dict[str, Kept[Any]] = {
    "image": render_image,
    "thumbnail": render_thumbnail,
    "spritesheet": render_spritesheet,
}


def _renderer(picture: Picture) -> Callable[[], Rendered]:
    """The kept renderer serving uses for `picture`, as a call without arguments."""
    color = "2d6fd2"
    kept = _PICTURE_RENDERERS[picture.kind]
    if picture.kind == "image":
        image = ImageSpec(picture.width, picture.height, picture.format, color, BENCH_CAPTION, "1:1", "2k")
        return lambda: kept(image)
    video = VideoSpec(picture.width, picture.height, FPS, picture.frames or frames(5), color, BENCH_CAPTION)
    return lambda: kept(video)
