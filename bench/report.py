"""The printed table and the targets of issue 8, from one run's result."""

from __future__ import annotations

from typing import Any

POLL_RATIO, SUBMIT_RATIO = 0.7, 0.5
COLD_START_MS = 400
BYTES_PER_TASK = 2048
FLAT = 1.25
"""Poll cost at the large store may be at most this many times the small store's (timing noise)."""
MP4_MS = 50
MP4_BYTES = 200_000
"""A 10-second 1080P result video, captioned, stays under this size."""


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for row in result["endpoints"]:
        if row["kind"] in ("poll", "submit"):
            want = POLL_RATIO if row["kind"] == "poll" else SUBMIT_RATIO
            against = "bare signed" if "ratio_unsigned" in row else "bare"
            checks.append(_check(f"{row['endpoint']} / {against}", row["ratio"], f">= {want}", row["ratio"] >= want))
    cold = result["cold_start"]["mock"]["median_ms"]
    checks.append(_check("cold start (ms)", cold, f"< {COLD_START_MS}", cold < COLD_START_MS))
    for gw, memory in result["memory"].items():
        per_task = memory["bytes_per_task"]
        checks.append(_check(f"{gw} bytes per task", per_task, f"< {BYTES_PER_TASK}", per_task < BYTES_PER_TASK))
    for gw, cost in result["poll_cost"].items():
        checks.append(_check(f"{gw} poll cost growth", cost["growth"], f"<= {FLAT}", cost["growth"] <= FLAT))
    for gw, rows in result["mp4"].items():
        for row in rows:
            if round(row["seconds"]) > 10 or row["size"] != "1920x1080":  # 241 frames at 24 fps: 10.04 s
                continue
            checks.append(_check(f"{gw} mp4 {row['size']} {row['seconds']} s (ms)", row["first_ms"], f"< {MP4_MS}",
                                 row["first_ms"] < MP4_MS))  # fmt: skip
            checks.append(_check(f"{gw} mp4 {row['size']} {row['seconds']} s (bytes)", row["bytes"],
                                 f"< {MP4_BYTES:,}", row["bytes"] < MP4_BYTES))  # fmt: skip
    return checks


def _check(name: str, value: Any, target: str, met: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "target": target, "met": met}


def render(result: dict[str, Any]) -> str:
    setup = result["setup"]
    lines = [
        "",
        f"load: {setup['load_generator']}, {setup['connections']} connections, {setup['seconds_per_endpoint']} s each; "
        f"server: uvicorn {setup['server']['loop']}/{setup['server']['http']}, 1 worker, access log off; "
        f"pinning: {setup['pinning']}; {setup['rounds']}",
        "",
        f"{'endpoint':<36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'bare req/s':>11} {'ratio':>6} {'alone':>6}"
        f" {'unsigned':>8}  errors",
    ]
    for row in result["endpoints"]:
        mock, bare = row["mock"], row["bare"]
        unsigned = f"{row['ratio_unsigned']:.2f}" if "ratio_unsigned" in row else ""
        lines.append(
            f"{row['endpoint']:<36} {mock['rps']:>9,.0f} {mock['p50_ms']:>8.2f} {mock['p99_ms']:>8.2f} "
            f"{bare['rps']:>11,.0f} {row['ratio']:>6.2f} {row['ratio_alone']:>6.2f} {unsigned:>8}  {mock['errors']}"
        )
    control = result.get("side_by_side_control")
    if control:
        lines += [
            "",
            "ratio: both apps loaded at once on the server core, median of the slices; alone: the ratio of the kept "
            "pair of alternating slices",
            "a signed gateway (Volcengine V4) is compared with the bare app's signed routes, which check the signature "
            "too; unsigned: its ratio, side by side, to the bare app's same route without the check",
            f"side-by-side control, the bare app against a second bare app ({control['load']}): {control['ratio']:.2f} "
            f"({control['ratios'][0]:.2f}-{control['ratios'][-1]:.2f})",
        ]
    if result.get("instructions"):
        rows = result["instructions"]
        lines += [
            "",
            f"instructions per request, counted by callgrind over {rows[0]['requests']} sequential requests "
            "(the whole server process; ratio bare / mock):",
            f"{'endpoint':<36} {'mock':>11} {'bare':>11} {'ratio':>6} {'bare unsigned':>14} {'ratio':>6}",
        ]
        lines += [
            f"{r['endpoint']:<36} {r['mock']:>11,} {r['bare']:>11,} {r['ratio']:>6.2f}"
            + (f" {r['bare_unsigned']:>14,} {r['ratio_unsigned']:>6.2f}" if "bare_unsigned" in r else "")
            for r in rows
        ]
        checks = sorted({(r["bare"], r["bare_unsigned"]) for r in rows if "bare_unsigned" in r})
        lines += [
            f"the bare app's signature check: {signed:,} signed against {unsigned:,} unsigned, "
            f"{signed - unsigned:,} instructions"
            for signed, unsigned in checks
        ]
    cold = result["cold_start"]
    lines += [
        "",
        f"cold start, launch to first 200 (median): mock {cold['mock']['median_ms']} ms, "
        f"bare {cold['bare']['median_ms']} ms",
    ]
    if result.get("stores"):
        lines += ["", render_stores(result["stores"])]
    lines += [""]
    for gw, memory in result["memory"].items():
        lines.append(
            f"memory ({gw}): {memory['bytes_per_task']} B per task, {memory['mb_per_100k']} MiB per 100,000 tasks; "
            f"{memory['bytes_per_finished_polled_task']} B once finished and polled (its kept answer)"
        )
    for gw, cost in result["poll_cost"].items():
        sizes = ", ".join(
            f"{int(size):,} tasks: {v['app_us']} µs (engine {v['engine_us']} µs)"
            for size, v in cost["by_store_size"].items()
        )
        spread = cost.get("batch_ratios") or [cost["growth"]]
        lines.append(
            f"poll cost in process ({gw}): {sizes}; growth x{cost['growth']} "
            f"(median of alternating batches, {spread[0]}-{spread[-1]})"
        )
    for gw, rows in result["mp4"].items():
        lines.append(f"MP4 generation ({gw}):")
        lines += [
            f"  {r['size']:>9} {r['seconds']:>5} s {r['frames']:>4} frames: first {r['first_ms']:>6.2f} ms, "
            f"cached {r['cached_us']:>5.2f} µs, {r['bytes']:,} bytes"
            for r in rows
        ]
    for gw, rows in result.get("image_to_video", {}).items():
        lines.append(f"MP4 generation from uploaded images ({gw}):")
        lines += [
            f"  {r['kind']:>20} {r['size']:>9} {r['seconds']:>5} s: first {r['first_ms']:>7.2f} ms, "
            f"cached {r['cached_us']:>5.2f} µs, {r['bytes']:,} bytes"
            for r in rows
        ]
    for gw, rows in result.get("pictures", {}).items():
        lines.append(f"Pictures ({gw}), first render and cached answer:")
        lines += [
            f"  {r['kind']:>11} {r['size']:>9} {r['format']:>4}"
            + (f" {r['seconds']:>5} s" if "seconds" in r else " " * 8)
            + f": first {r['first_ms']:>7.2f} ms, cached {r['cached_us']:>5.2f} µs, {r['bytes']:,} bytes"
            for r in rows
        ]
    lines += ["", "targets:"]
    lines += [
        f"  {'met ' if t['met'] else 'MISS'} {t['name']}: {t['value']} (target {t['target']})"
        for t in result["targets"]
    ]
    return "\n".join(lines)


def render_stores(rows: list[dict[str, Any]]) -> str:
    """The stores x workers table: the median slice of each load, and its ratio to memory x 1 (same run)."""
    lines = [
        f"{'store':<8} {'workers':>7} {'poll req/s':>11} {'x memory':>8} {'p99 ms':>8} "
        f"{'submit req/s':>13} {'x memory':>8} {'p99 ms':>8}"
    ]
    for row in rows:
        if "poll" not in row:
            lines.append(f"{row['store']:<8} {row['workers']:>7}  {row['note']}")
            continue
        poll, submit, ratio = row["poll"], row["submit"], row["ratio_to_memory"]
        pinning = "" if row["pinned"] else "  (not pinned: both cores, shared with the load generator)"
        lines.append(
            f"{row['store']:<8} {row['workers']:>7} {poll['rps']:>11,.0f} {ratio['poll']:>8.2f} {poll['p99_ms']:>8.2f} "
            f"{submit['rps']:>13,.0f} {ratio['submit']:>8.2f} {submit['p99_ms']:>8.2f}{pinning}"
        )
    slices = next((len(row["poll"]["slices_rps"]) for row in rows if "poll" in row), 0)
    lines.append(f"(each load: the median of {slices} slices; x memory: the ratio to memory x 1 in this run)")
    return "\n".join(lines)
