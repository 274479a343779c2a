"""The hostile corpus against a served mock: no 5xx, no answer outside the contract, no answer slower than a bound,
and afterwards the server alive, its memory bounded and its log free of tracebacks."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockserver.conformance.failures import CheckFailure
from mockserver.gateways import PROVIDER_IDS
from tests.fuzz.corpus import JSON_ENDPOINTS, POLLED, SESSION, Case, corpus, poll, request
from tests.fuzz.served import SLOWEST_ANSWER, Served, in_contract, served
from tests.stores.processes import redis_server

MEMORY_GROWTH = 150 * 1024 * 1024
"""Bytes the server may grow by over the whole corpus (it holds a few tasks and a journal of 1,000 entries)."""


def judge(server: Served, case: Case) -> str | None:
    """What is wrong with the server's answer to `case`, or None."""
    try:
        answer = server.raw(case.data, method=case.method, wait=case.wait or SLOWEST_ANSWER)
    except TimeoutError:
        return None if case.wait is not None else f"no answer within {SLOWEST_ANSWER} s"
    except (OSError, ConnectionError, http.client.HTTPException) as exc:
        return None if not case.answered else f"the connection failed: {exc!r}"
    if answer is None:
        return None if not case.answered else "closed without an answer"
    if answer.seconds > SLOWEST_ANSWER:
        return f"answered in {answer.seconds:.1f} s"
    if answer.status >= 500:
        return f"answered {answer.status}: {answer.body[:300]!r}"
    if case.status is not None and answer.status != case.status:
        return f"answered {answer.status}, not {case.status}: {answer.body[:300]!r}"
    if not case.ok and not 400 <= answer.status < 500:
        return f"accepted ({answer.status}): {answer.body[:300]!r}"
    if any("\r" in value or "\n" in value for _, value in answer.raw_headers):
        return f"a header value holds CR or LF: {answer.raw_headers}"
    try:
        in_contract(case.method, case.path, answer)
    except CheckFailure as exc:
        return f"outside the contract: {exc}"
    return None


def aftermath(server: Served) -> list[str]:
    """What the corpus left behind still reads: the admin listings, and a poll of every task it created (a prompt
    may hold anything)."""
    problems = []
    for path in ("/__admin/tasks", "/__admin/journal", "/__admin/cassette"):
        answer = server.raw(request("GET", path))
        if answer is None or answer.status != 200:
            problems.append(f"{path} afterwards: {answer and answer.status} {answer and answer.body[:300]!r}")
        elif path == "/__admin/tasks":
            for task in json.loads(answer.body)["tasks"]:
                provider = task["provider"]
                method, target, data = poll(provider, task["id"], key=SESSION if provider == "jimeng2api" else None)
                polled = server.raw(data, method=method)
                if polled is None or polled.status >= 500:
                    problems.append(f"{target} afterwards: {polled and polled.status} {polled and polled.body[:300]!r}")
    return problems


@contextmanager
def store_url(kind: str, folder: Path) -> Iterator[str]:
    if kind == "redis":
        with redis_server() as url:
            yield url
    else:
        yield "memory" if kind == "memory" else f"sqlite:///{folder / 'mock.db'}"


def test_every_gateway_is_in_the_corpus() -> None:
    """A new gateway fails here until the corpus sends it hostile bodies (JSON_ENDPOINTS) and polls (POLLED)."""
    assert set(PROVIDER_IDS) <= {name.partition("-")[0] for name in JSON_ENDPOINTS}
    assert set(POLLED) == set(PROVIDER_IDS)


@pytest.mark.parametrize("store", ["memory", "sqlite", "redis"])
def test_no_hostile_request_knocks_the_mock_over(store: str, tmp_path: Path) -> None:
    cases = corpus()
    with store_url(store, tmp_path) as url, served({"JIMENG_MOCK_STORE": url}) as server:
        before = server.rss_bytes()
        failures = [f"{case.name}: {problem}" for case in cases if (problem := judge(server, case)) is not None]
        failures += aftermath(server)
        alive = server.alive()
        growth = server.rss_bytes() - before
        log = server.log.read_text(errors="replace")
    assert not failures, log[-4000:] + f"{len(failures)} of {len(cases)} hostile requests:\n" + "\n".join(failures)
    assert alive, "the server stopped answering"
    assert growth < MEMORY_GROWTH, f"the server grew by {growth / 1e6:.0f} MB"
    assert "Traceback" not in log, log[-3000:]
