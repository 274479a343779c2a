"""The nearest requests to an unmatched one are found in bounded time, however long the paths the clients sent:
the admin API answers `GET /__admin/journal/{seq}` with them."""

from __future__ import annotations

import random
import string
import threading

from mockserver.server.exchange import Exchange
from mockserver.server.journal import Journal


def _request(path: str, status: int) -> Exchange:
    return Exchange(0.0, "ark", "GET", path, b"", [], b"", status, [], b"", None)


def test_long_paths_do_not_stall_the_nearest_requests() -> None:
    draw = random.Random(7)
    journal = Journal(200)
    paths = [f"/ark/v{n}/" + "".join(draw.choices(string.printable[:90], k=30_000)) for n in range(100)]
    for path in paths:
        journal.add(_request(path, 200))
    journal.add(_request(paths[7][:-1] + "~", 404))
    unmatched = journal.entries()[-1]
    found: list[list[dict[str, object]]] = []
    worker = threading.Thread(target=lambda: found.append(journal.nearest(unmatched)), daemon=True)
    worker.start()
    worker.join(timeout=10)  # unbounded, the comparison of 100 such pairs takes minutes
    assert found, "the nearest requests took more than 10 s"
    assert found[0][0]["seq"] == 8
