"""The rows of the table: what each endpoint's load is on the mock, and its equivalent on the bare app."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.gateways import AUTH, BARE_PAIR, FINISHED_AFTER, HEADERS, Gateway, signed_headers
from bench.load import HttpRequest
from bench.servers import Client

SEEDED = 100
"""Tasks made before the loads start: polls cycle over them."""
POLLS_PER_SUBMIT = 20
RANGE = "bytes=0-1023"


@dataclass(frozen=True)
class Endpoint:
    name: str
    kind: str
    """poll, submit or other: which target applies."""
    mock: list[HttpRequest]
    bare: str
    """Key of the bare app's equivalent load."""
    bare_unsigned: str | None = None
    """For a signed gateway (its bare load a signed route): the key of the same load unsigned, also compared, so the
    report shows what the signature check weighs."""
    dashboard_task: str | None = None
    """Measured with a dashboard open (`bench.dashboard`), its task page on this task."""


def _submit(path: str, body: dict[str, Any]) -> HttpRequest:
    return HttpRequest("POST", path, dict(HEADERS), json.dumps(body).encode())


def _signed(path: str, body: dict[str, Any], now: float) -> HttpRequest:
    raw = json.dumps(body).encode()
    return HttpRequest("POST", path, signed_headers("POST", path, raw, now, BARE_PAIR), raw)


def _polls(template: str, ids: list[str]) -> list[HttpRequest]:
    return [HttpRequest("GET", template.format(id=task_id), dict(AUTH)) for task_id in ids]


def _mixed(submit: HttpRequest, polls: list[HttpRequest]) -> list[HttpRequest]:
    flow = []
    for start in range(0, len(polls), POLLS_PER_SUBMIT):
        flow.append(submit)
        flow.extend(polls[start : start + POLLS_PER_SUBMIT])
    return flow


def _media_url(answer: Any) -> str | None:
    """The first signed media URL anywhere in a poll answer."""
    if isinstance(answer, str) and "/__media/" in answer:
        return answer
    children = answer.values() if isinstance(answer, dict) else answer if isinstance(answer, list) else ()
    return next((url for child in children if (url := _media_url(child))), None)


def prepare_bare(client: Client) -> dict[str, list[HttpRequest]]:
    """Seed the bare app; its loads by key."""
    body = {"model": "jimeng-video-3.0", "prompt": "An orange cat"}
    ids = [client.call("POST", "/submit", body, HEADERS)["task_id"] for _ in range(SEEDED)]
    submit, polls = _submit("/submit", body), _polls("/poll/{id}", ids)
    posted = [_submit("/poll", {"task_id": task_id}) for task_id in ids]
    now = time.time()  # the bare app checks a signature's date against the machine's time
    return {
        "submit": [submit],
        "poll": polls,
        "poll_posted": posted,
        "signed_submit": [_signed("/signed/submit", body, now)],
        "signed_poll": [_signed("/signed/poll", {"task_id": task_id}, now) for task_id in ids],
        "mixed": _mixed(submit, polls),
        "clock": [HttpRequest("GET", "/clock")],
    }


def bare_file(size: int) -> dict[str, list[HttpRequest]]:
    return {
        "range": [HttpRequest("GET", f"/file/{size}", {"Range": RANGE})],
        "file": [HttpRequest("GET", f"/file/{size}")],
    }


def prepare_mock(client: Client, gateways: tuple[Gateway, ...]) -> tuple[list[Endpoint], int]:
    """Seed the mock (virtual clock): per gateway, tasks that have succeeded and tasks still running.
    The endpoints, and the byte size of the media file served. Requests are prepared at the clock's time, which
    stands still while the loads run (a signed request's date stays valid)."""
    endpoints: list[Endpoint] = []
    media: list[HttpRequest] = []
    now: Callable[[], float] = lambda: float(client.call("GET", "/__admin/clock")["now"])  # noqa: E731
    seed: Callable[[Gateway], list[str]] = lambda gw: [  # noqa: E731
        gw.task_id(client.send(gw.submit(now()))) for _ in range(SEEDED)
    ]
    finished = {gw.id: seed(gw) for gw in gateways}
    client.call("POST", "/__admin/clock/advance", {"seconds": FINISHED_AFTER})
    running = {gw.id: seed(gw) for gw in gateways}
    at = now()
    for gw in gateways:
        submit = gw.submit(at)
        url = _media_url(client.send(gw.poll(finished[gw.id][0], at)))
        if url is not None and not media:
            parts = urlsplit(url)
            media = [HttpRequest("GET", f"{parts.path}?{parts.query}")]
        in_progress = [gw.poll(task_id, at) for task_id in running[gw.id]]
        succeeded = [gw.poll(task_id, at) for task_id in finished[gw.id]]
        bare_submit = "submit"
        bare_poll = "poll" if gw.poll_body is None else "poll_posted"  # like for like: a POST poll against a POST
        unsigned_submit: str | None = None
        unsigned_poll: str | None = None
        if gw.signed:  # a signed request against one the bare app checks too; unsigned beside it
            unsigned_submit, unsigned_poll = bare_submit, bare_poll
            bare_submit, bare_poll = "signed_submit", "signed_poll"
        endpoints += [
            Endpoint(f"{gw.id} submit", "submit", [submit], bare_submit, unsigned_submit),
            Endpoint(f"{gw.id} poll (running)", "poll", in_progress, bare_poll, unsigned_poll),
            Endpoint(f"{gw.id} poll (succeeded)", "poll", succeeded, bare_poll, unsigned_poll),
        ]
        if gw is gateways[0]:  # the flow is the same on every gateway: once is enough for the time it takes
            endpoints.append(
                Endpoint(f"{gw.id} mixed 1:{POLLS_PER_SUBMIT}", "mixed", _mixed(submit, in_progress), "mixed")
            )
            endpoints.append(
                Endpoint(
                    f"{gw.id} poll (running), dashboard open",
                    "poll",
                    in_progress,
                    bare_poll,
                    dashboard_task=running[gw.id][0],
                )
            )
    size = 0
    if media:
        size = len(client.call("GET", media[0].path))
        ranged = HttpRequest("GET", media[0].path, {"Range": RANGE})
        endpoints += [
            Endpoint("media download (Range 1 KiB)", "other", [ranged], "range"),
            Endpoint(f"media download (full, {size // 1024} KiB)", "other", media, "file"),
        ]
    endpoints.append(Endpoint("admin clock read", "other", [HttpRequest("GET", "/__admin/clock")], "clock"))
    return endpoints, size
