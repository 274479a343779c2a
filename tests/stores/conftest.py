from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.engine import MemoryStore
from mockserver.stores import SharedStore, open_store
from tests.stores.processes import redis_server

KINDS = ("memory", "sqlite", "redis")
SHARED_KINDS = ("sqlite", "redis")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def store_url(kind: str, tmp_path: Path, redis_url: str) -> str:
    return {"memory": "memory", "sqlite": f"sqlite:///{tmp_path / 'mock.db'}", "redis": redis_url}[kind]


@pytest.fixture
def url_of(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """`url_of(kind)`: a fresh store URL of that kind (Redis: emptied first)."""

    def url(kind: str) -> str:
        if kind != "redis":
            return store_url(kind, tmp_path, "")
        redis_url = request.getfixturevalue("redis_url")
        import redis

        with redis.Redis.from_url(redis_url) as client:
            client.flushdb()
        return str(redis_url)

    yield url


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, url_of: object) -> Iterator[object]:
    url = url_of(request.param)  # type: ignore[operator]
    opened = open_store(url)
    yield MemoryStore() if opened is None else opened
    if opened is not None:
        opened.close()


@pytest.fixture(params=SHARED_KINDS)
def shared_url(request: pytest.FixtureRequest, url_of: object) -> str:
    return str(url_of(request.param))  # type: ignore[operator]


@pytest.fixture
def pair(shared_url: str) -> Iterator[tuple[SharedStore, SharedStore]]:
    """Two connections to one shared store: two processes, as far as the store can tell."""
    first, second = open_store(shared_url), open_store(shared_url)
    assert first is not None and second is not None
    yield first, second
    first.close()
    second.close()
