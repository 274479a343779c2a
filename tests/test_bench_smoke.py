"""The bench's code paths, run in a reduced mode so they cannot rot. Nothing here asserts on timing."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bench import counted, inprocess, instructions, media, run
from bench.gateways import GATEWAYS, Picture
from bench.inprocess import BENCH_CAPTION
from bench.load import HttpRequest, LoadResult, _lua, parse_result, wrk_script
from bench.report import render, targets
from mockserver.gateways import PROVIDER_IDS
from mockserver.gateways.jimeng2api.models.catalog import IMAGE_SIZES
from mockserver.media.picture import ImageSpec
from mockserver.media.render import render_image, render_spritesheet
from mockserver.media.spec import VideoSpec


def test_a_reduced_run_measures_every_endpoint_and_writes_its_json(tmp_path: Path) -> None:
    argv = [
        "--load", "python", "--duration", "0.2", "--rounds", "1", "--warmup", "0", "--launches", "1",
        "--memory-tasks", "300", "--store-sizes", "20,300", "--polls", "50", "--mp4-limit", "1",
        "--instructions", "0", "--results", str(tmp_path),
    ]  # fmt: skip
    assert run.main(argv) == 0
    [written] = tmp_path.glob("*.json")
    result = json.loads(written.read_text())

    names = [row["endpoint"] for row in result["endpoints"]]
    per_gateway = [
        name
        for gw in GATEWAYS
        for name in (f"{gw.id} submit", f"{gw.id} poll (running)", f"{gw.id} poll (succeeded)")
        + ((f"{gw.id} mixed 1:20", f"{gw.id} poll (running), dashboard open") if gw is GATEWAYS[0] else ())
    ]
    assert names[: len(per_gateway)] == per_gateway
    media = names[len(per_gateway) + 1]
    assert names[len(per_gateway) :] == ["media download (Range 1 KiB)", media, "admin clock read"]
    assert media.startswith("media download (full, ")
    for row in result["endpoints"]:
        assert row["mock"]["requests"] > 0 and row["bare"]["requests"] > 0, row
        assert row["mock"]["errors"] == 0 and row["bare"]["errors"] == 0, row
        # a 0.2 s side-by-side slice on a loaded machine may finish no mock request: the ratio is then 0, not absent
        assert math.isfinite(row["ratio"]) and row["ratio"] >= 0 and row["ratio_alone"] > 0
        assert len(row["pair_ratios"]) == 1 and row["pair_ratios"][0] == row["ratio_alone"]
        assert len(row["side_by_side_ratios"]) == 1 and round(row["side_by_side_ratios"][0], 2) == row["ratio"]
    signed = {row["endpoint"]: row for row in result["endpoints"] if "ratio_unsigned" in row}
    assert set(signed) == {"volcengine submit", "volcengine poll (running)", "volcengine poll (succeeded)"}
    for row in signed.values():  # against the bare app's signed route (its loads accepted: no errors above)
        assert row["bare_load"] in ("signed_submit", "signed_poll"), row
        assert row["bare_unsigned_load"] == ("submit" if row["kind"] == "submit" else "poll_posted"), row
        assert len(row["side_by_side_ratios_unsigned"]) == 1 and row["ratio_unsigned"] >= 0
    [open_dashboard] = [row for row in result["endpoints"] if "dashboard" in row]
    pages = {page["page"]: page for page in open_dashboard["dashboard"]}
    assert set(pages) == {"overview", "tasks", "task", "journal"}
    assert all(page["rounds"] >= 1 and page["errors"] == 0 and page["mean_server_ms"] > 0 for page in pages.values()), (
        pages
    )
    control = result["side_by_side_control"]
    assert control["load"] == "poll" and len(control["ratios"]) == 1 and control["ratio"] > 0
    assert result["setup"]["load_generator"] == "python"
    stores = {(row["store"], row["workers"]): row for row in result["stores"]}
    assert set(stores) == {(store, workers) for store in ("memory", "sqlite", "redis") for workers in (1, 2)}
    assert "refused" in stores["memory", 2]["note"]
    for key in (("memory", 1), ("sqlite", 1), ("sqlite", 2), ("redis", 1), ("redis", 2)):
        for load in ("poll", "submit"):
            assert stores[key][load]["requests"] > 0 and stores[key][load]["errors"] == 0, (key, load)
    assert result["cold_start"]["mock"]["launches_ms"] and result["cold_start"]["bare"]["launches_ms"]
    assert result["memory"]["crazyrouter"]["tasks"] == 300
    assert result["memory"]["crazyrouter"]["bytes_per_task"] > 0
    cost = result["poll_cost"]["crazyrouter"]
    assert set(cost["by_store_size"]) == {"20", "300"}
    assert len(cost["batch_ratios"]) == 5 and cost["growth"] == statistics.median(cost["batch_ratios"])
    [mp4] = result["mp4"]["crazyrouter"]
    assert mp4["bytes"] > 0 and mp4["size"] == "1920x1080"
    from_images = result["image_to_video"]["crazyrouter"]
    assert [row["kind"] for row in from_images] == ["first frame", "first and last frame"]
    assert mp4["bytes"] < from_images[0]["bytes"] < from_images[1]["bytes"]
    assert set(result["pictures"]) == {"octopusx", "jimeng2api"}
    [thumbnail] = result["pictures"]["octopusx"]
    assert (thumbnail["kind"], thumbnail["size"], thumbnail["format"]) == ("thumbnail", "1280x720", "webp")
    [image] = result["pictures"]["jimeng2api"]
    assert (image["kind"], image["size"], image["format"]) == ("image", "1024x1024", "webp")
    assert image["bytes"] > 0 and image["first_ms"] > 0 and thumbnail["bytes"] > 0
    assert {t["name"] for t in result["targets"]} >= {
        "crazyrouter submit / bare",
        "volcengine poll (running) / bare signed",
        "cold start (ms)",
    }


def test_every_bench_gateway_is_a_mounted_provider_and_renders_outputs() -> None:
    assert {gw.id for gw in GATEWAYS} <= set(PROVIDER_IDS)
    crazyrouter = next(gw for gw in GATEWAYS if gw.id == "crazyrouter")
    assert len(crazyrouter.outputs) == 12  # six 1080P sizes, 5 and 10 seconds
    assert crazyrouter.task_id({"task_id": "42"}) == "42"
    pictures = {gw.id: gw.pictures for gw in GATEWAYS if gw.pictures}
    assert set(pictures) == {"octopusx", "jimeng2api"}
    kinds = Counter((p.kind, p.format) for p in pictures["octopusx"])
    assert kinds == {("thumbnail", "webp"): 12, ("spritesheet", "jpeg"): 24}  # six sizes at 720P and 1080P; 5 and 10 s
    images = {(p.width, p.height) for p in pictures["jimeng2api"]}
    assert images == {size for by_ratio in IMAGE_SIZES.values() for size in by_ratio.values()} and len(images) == 24


def test_picture_figures_render_each_kind_through_the_serving_path() -> None:
    pictures = (Picture("spritesheet", 1280, 720, "jpeg", 241), Picture("image", 64, 48, "webp"))
    gateway = replace(GATEWAYS[0], pictures=pictures)
    sheet, image = inprocess.picture_figures(gateway)
    assert (sheet["kind"], sheet["size"], sheet["seconds"], sheet["format"]) == (
        "spritesheet",
        "1280x720",
        10.04,
        "jpeg",
    )
    assert sheet["bytes"] == len(render_spritesheet(VideoSpec(1280, 720, 24, 241, "2d6fd2", BENCH_CAPTION)).body)
    assert (image["kind"], image["size"], "seconds" in image) == ("image", "64x48", False)
    assert image["bytes"] == len(render_image(ImageSpec(64, 48, "webp", "2d6fd2", BENCH_CAPTION, "1:1", "2k")).body)
    assert [row["kind"] for row in inprocess.picture_figures(gateway, limit=1)] == ["spritesheet"]


def test_lua_strings_escape_every_byte_that_could_end_or_bend_them() -> None:
    # a three-digit escape, so a digit after a quote is not read as part of the escape
    assert _lua(b'"9') == '"\\0349"'
    assert _lua(b"a\\b\n") == '"a\\092b\\010"'


def test_the_wrk_script_cycles_the_requests_and_reports_one_line() -> None:
    script = wrk_script([HttpRequest("POST", "/s", {"A": "1"}, b"{}"), HttpRequest("GET", "/p/1")])
    assert script.count("wrk.format(") == 2
    assert 'wrk.format("GET", "/p/1", {}, nil)' in script
    assert "latency:percentile(99)" in script


def test_a_load_report_is_read_from_the_generator_output() -> None:
    out = 'Running 1s test\nBENCH-RESULT {"requests": 10, "seconds": 2.0, "errors": 1, "p50_ms": 1.5, "p99_ms": 9}\n'
    result = parse_result(out)
    assert (result.requests, result.errors, result.rps, result.p99_ms) == (10, 1, 5.0, 9.0)


def test_the_kept_pair_is_the_one_with_the_median_ratio() -> None:
    def pair(bare: int, mock: int) -> tuple[LoadResult, LoadResult]:
        return LoadResult(bare, 1.0, 0, 1.0, 2.0), LoadResult(mock, 1.0, 0, 1.0, 2.0)

    slow_phase, fast_phase, burst, other = pair(100, 60), pair(200, 110), pair(200, 20), pair(150, 80)
    bare, mock = run.median_pair([slow_phase, fast_phase, burst, other])
    assert (bare.requests, mock.requests) == (150, 80)  # ratios 0.1, 0.53, 0.55, 0.6: the lower middle
    assert run.median_pair([burst]) == burst
    assert run.median_pair([fast_phase, slow_phase, burst]) == fast_phase


def test_instructions_are_counted_per_request_for_each_submit_and_poll_against_the_bare_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under callgrind where valgrind is installed (the figure the machine's drifting speed cannot move); where it
    is not, the run says so and goes on."""
    if not instructions.available():
        argv = [
            "--load", "python", "--duration", "0.05", "--rounds", "1", "--warmup", "0", "--launches", "1",
            "--memory-tasks", "10", "--store-sizes", "5,10", "--polls", "5", "--mp4-limit", "1", "--no-stores",
            "--instructions", "5", "--results", str(tmp_path),
        ]  # fmt: skip
        assert run.main(argv) == 0
        assert "valgrind is not installed" in capsys.readouterr().err
        [written] = tmp_path.glob("*.json")
        assert "instructions" not in json.loads(written.read_text())
        return
    rows = run._instructions(5, GATEWAYS[:1], None)
    gw = GATEWAYS[0].id
    assert [row["endpoint"] for row in rows] == [f"{gw} submit", f"{gw} poll (running)", f"{gw} poll (succeeded)"]
    for row in rows:
        assert row["requests"] == 5 and row["mock"] > 10_000 and row["bare"] > 10_000, row
        assert row["ratio"] == round(row["bare"] / row["mock"], 3)
    submit, running, _ = rows
    assert submit["mock"] > running["mock"], "a submit does more than a poll"
    table = render_instructions_only(rows)
    assert f"{gw} submit" in table and "callgrind over 5 sequential requests" in table


def render_instructions_only(rows: list[dict[str, object]]) -> str:
    setup = {"load_generator": "wrk", "connections": 1, "seconds_per_endpoint": 1, "rounds": "",
             "server": {"loop": "uvloop", "http": "httptools"}, "pinning": "none"}  # fmt: skip
    result = {"setup": setup, "endpoints": [], "instructions": rows, "cold_start": {"mock": {"median_ms": 1},
              "bare": {"median_ms": 1}}, "memory": {}, "poll_cost": {}, "mp4": {}, "targets": []}  # fmt: skip
    return render(result)


def test_side_by_side_slices_alternate_the_load_started_first_and_give_mock_over_bare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[list[int]] = []

    def together(
        generator: str, loads: list[tuple[int, list[HttpRequest]]], seconds: float, core: int | None
    ) -> list[LoadResult]:
        started.append([port for port, _ in loads])
        return [LoadResult(100 if port == 1 else 64 - len(started), 1.0, 0, 1.0, 2.0) for port, _ in loads]

    monkeypatch.setattr(run, "run_together", together)
    ratios = run.side_by_side("wrk", (1, []), (2, []), 1.0, 3, None)
    assert started == [[1, 2], [2, 1], [1, 2]]
    assert ratios == [0.61, 0.62, 0.63]


def test_the_mp4_targets_check_the_1080p_five_and_ten_second_videos() -> None:
    def mp4(size: str, frames: int, first_ms: float, size_bytes: int) -> dict[str, object]:
        return {"size": size, "seconds": round(frames / 24, 2), "frames": frames, "first_ms": first_ms,
                "bytes": size_bytes}  # fmt: skip

    rows = [mp4("1920x1080", 121, 2.0, 90_000), mp4("1920x1080", 241, 60.0, 250_000), mp4("2176x928", 241, 90.0, 1)]
    result = {"endpoints": [], "cold_start": {"mock": {"median_ms": 1}}, "memory": {}, "poll_cost": {},
              "mp4": {"crazyrouter": rows}}  # fmt: skip
    checks = {check["name"]: check["met"] for check in targets(result) if "mp4" in check["name"]}
    assert checks == {
        "crazyrouter mp4 1920x1080 5.04 s (ms)": True,
        "crazyrouter mp4 1920x1080 5.04 s (bytes)": True,
        "crazyrouter mp4 1920x1080 10.04 s (ms)": False,
        "crazyrouter mp4 1920x1080 10.04 s (bytes)": False,
    }


def test_the_media_figures_time_each_render_and_give_its_size() -> None:
    names = [name for name, _ in media.renders()]
    assert "video 1920x1080, 10 s" in names and "image 2048x2048 webp" in names
    row = media.measure(lambda: b"twelve bytes", runs=3)
    assert row["bytes"] == 12 and row["wall_ms"] >= 0 and row["cpu_ms"] >= 0


@pytest.mark.parametrize("gateway", ["crazyrouter", "volcengine"])
@pytest.mark.parametrize("kind", ["submit", "poll", "finished"])
def test_the_counted_run_makes_its_requests_and_names_their_statuses(
    gateway: str, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert counted.main([gateway, kind, "3"]) == 0
    assert capsys.readouterr().err.strip() == f"{gateway} {kind}: 3 requests, statuses {{200: 3}}"


def test_a_signed_gateway_s_requests_are_signed_ahead_at_the_mock_s_time() -> None:
    """The load generator sends prepared bytes: each volcengine request carries its own valid signature, dated at
    the (still) virtual clock, and polls name their task in the body."""
    volcengine = next(gw for gw in GATEWAYS if gw.id == "volcengine")
    mock = inprocess.InProcessMock()
    now = mock.runtime.clock.now()
    status, answer = mock.call(volcengine.submit(now))
    assert status == 200, answer
    task_id = volcengine.task_id(json.loads(answer))
    poll = volcengine.poll(task_id, now)
    assert poll.method == "POST" and json.loads(poll.body)["task_id"] == task_id
    assert poll.headers["Authorization"] != volcengine.poll("1", now).headers["Authorization"]
    status, answer = mock.call(poll)
    assert status == 200 and json.loads(answer)["data"]["status"] == "in_queue", answer
    tampered = replace(poll, body=poll.body.replace(task_id.encode(), b"1"))
    assert mock.call(tampered)[0] == 401
    mock.close()
