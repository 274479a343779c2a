"""Stores that outlive a process or are shared by several: SQLite (one machine, durable) and Redis (several
machines). `open_store` reads a `--store` URL; `memory` (the default) needs none of this package."""

from __future__ import annotations

from mockserver.stores.base import STORE_THREADS, SharedStore, StoreError


def open_store(url: str, threads: int = STORE_THREADS) -> SharedStore | None:
    """The store a `--store` URL names: None for `memory`, else a `SharedStore` whose calls wait in `threads`
    threads of this process."""
    check_store_url(url)
    if url == "memory":
        return None
    if url.startswith("sqlite:///"):
        from mockserver.stores.sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite:///"))
    from mockserver.stores.redis import RedisStore

    return RedisStore(url, threads)


def check_store_url(url: str) -> None:
    """Raise StoreError unless `url` names a store (without opening it)."""
    if url == "memory":
        return
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return
    if url.startswith(("redis://", "rediss://", "unix://")):
        return
    raise StoreError(f"unknown store {url!r}: use memory, sqlite:///path.db or redis://host:port/db")


__all__ = ["STORE_THREADS", "SharedStore", "StoreError", "check_store_url", "open_store"]
