"""`bench.collector`: the collector's pauses under a submit load, with the served process's settings or without
the survivors' freeze. Run in a child process: freezing lasts as long as the process."""

from __future__ import annotations

import re
import subprocess
import sys


def _collector(*flags: str) -> tuple[dict[int, int], int]:
    answer = subprocess.run(
        [sys.executable, "-m", "bench.collector", "crazyrouter", "20000", *flags],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "statuses [200]" in answer.stdout
    collections = {int(g): int(n) for g, n in re.findall(r"generation (\d): (\d+) collections", answer.stdout)}
    older = re.search(r"would walk: ([\d,]+)", answer.stdout)
    assert older is not None
    return collections, int(older.group(1).replace(",", ""))


def test_with_survivors_frozen_stored_tasks_leave_the_older_generations_nothing_to_walk() -> None:
    (frozen, frozen_older), (unfrozen, unfrozen_older) = _collector(), _collector("--unfrozen")
    assert frozen[0] >= 1 and unfrozen[0] >= 1  # 20,000 stored tasks fill the young generation at least once
    assert unfrozen_older >= 4 * 10_000  # what survived young collections: most of the tasks stored before the last
    assert frozen_older < 1_000
