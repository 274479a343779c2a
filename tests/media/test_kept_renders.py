"""Rendered files are kept per spec, and a first render can run off the event loop."""

from __future__ import annotations

import asyncio
import threading

from mockserver.media.render import Kept, Rendered


def recording_renderer(calls: list[tuple[int, int]]) -> Kept[int]:
    def render(spec: int) -> Rendered:
        calls.append((spec, threading.get_ident()))
        return Rendered(str(spec).encode(), "text/plain", f'"{spec}"')

    return Kept(render, size=2)


def test_a_first_render_off_the_loop_runs_in_a_worker_thread_and_is_then_answered_in_place() -> None:
    calls: list[tuple[int, int]] = []
    kept = recording_renderer(calls)

    async def twice() -> tuple[Rendered, Rendered, int]:
        return await kept.off_loop(7), await kept.off_loop(7), threading.get_ident()

    first, again, loop_thread = asyncio.run(twice())
    assert first.body == b"7" and again is first
    [(spec, thread)] = calls
    assert spec == 7 and thread != loop_thread
    assert kept(7) is first and len(calls) == 1


def test_a_call_renders_in_place_and_keeps_the_answer_for_off_loop_callers() -> None:
    calls: list[tuple[int, int]] = []
    kept = recording_renderer(calls)
    rendered = kept(3)
    assert calls == [(3, threading.get_ident())]
    assert asyncio.run(kept.off_loop(3)) is rendered and len(calls) == 1


def test_the_spec_asked_for_least_recently_is_the_one_dropped() -> None:
    calls: list[tuple[int, int]] = []
    kept = recording_renderer(calls)
    kept(1)
    kept(2)
    assert kept.peek(1) is not None  # 1 is now the most recent, so 2 goes
    kept(3)
    assert kept.peek(2) is None and kept.peek(1) is not None and kept.peek(3) is not None
    kept.cache_clear()
    assert kept.peek(1) is None and kept.peek(3) is None
    assert [spec for spec, _ in calls] == [1, 2, 3]
