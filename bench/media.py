"""Result media renders timed in this process, without the servers of `make bench`: the median of several
first renders of each, in wall time and in the process's CPU time (which a busy machine inflates less).

    .venv/bin/python -m bench.media [--runs 9]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bench.inprocess import BENCH_CAPTION, _photo
from mockserver.media.picture import ImageSpec, render_image_bytes
from mockserver.media.spec import VideoSpec
from mockserver.media.stills import spritesheet, thumbnail
from mockserver.media.uploads import uploads
from mockserver.media.video import render_video_file


def renders() -> list[tuple[str, Callable[[], bytes]]]:
    first, last = uploads.keep(_photo(0)), uploads.keep(_photo(1))

    def video(width: int, height: int, frames: int, **images: str) -> Callable[[], bytes]:
        return lambda: render_video_file(VideoSpec(width, height, 24, frames, "2d6fd2", BENCH_CAPTION, **images))

    def image(side: int) -> Callable[[], bytes]:
        return lambda: render_image_bytes(ImageSpec(side, side, "webp", "2d6fd2", BENCH_CAPTION, "1:1", "2k"))

    still = VideoSpec(1080, 1920, 24, 241, "2d6fd2", BENCH_CAPTION)
    return [
        ("video 1920x1080, 10 s", video(1920, 1080, 241)),
        ("video 1080x1920, 10 s", video(1080, 1920, 241)),
        ("video 1920x1080, 5 s", video(1920, 1080, 121)),
        ("video 1280x720, 5 s", video(1280, 720, 121)),
        ("video 1920x1080, 5 s, from an image", video(1920, 1080, 121, first_image=first)),
        ("video 1920x1080, 5 s, image to image", video(1920, 1080, 121, first_image=first, last_image=last)),
        ("image 1024x1024 webp", image(1024)),
        ("image 2048x2048 webp", image(2048)),
        ("image 4096x4096 webp", image(4096)),
        ("thumbnail 1080x1920 webp", lambda: thumbnail(still)),
        ("spritesheet 1080x1920, 10 s, jpeg", lambda: spritesheet(still)),
    ]


def measure(render: Callable[[], bytes], runs: int) -> dict[str, float]:
    size = len(render())  # the first call loads the image library and the font
    wall, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        render()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return {"wall_ms": round(statistics.median(wall), 1), "cpu_ms": round(statistics.median(cpu), 1), "bytes": size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="renders timed of each (the median is printed)")
    args = parser.parse_args()
    for name, render in renders():
        row = measure(render, args.runs)
        print(f"{name:<40} wall {row['wall_ms']:>7.1f} ms  cpu {row['cpu_ms']:>7.1f} ms  {row['bytes']:>11,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
