"""How SQLite stores sharing one file take turns at writing, and who copies the WAL back into the database."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.engine.store import StoreUnavailable
from mockserver.stores import sqlite as sqlite_store
from mockserver.stores.sqlite import SqliteStore

ENTRY = os.urandom(3000)
"""A journal entry of three kilobytes: a few hundred of them fill more WAL pages than SQLite's automatic checkpoint
lets a WAL hold (1,000)."""


def database_bytes(path: Path) -> int:
    """The size of the database file itself: pages reach it only by a checkpoint (until then they are in the WAL)."""
    return path.stat().st_size


async def write_journal(store: SqliteStore, entries: int) -> None:
    for _ in range(entries // 50):
        await asyncio.gather(*(store.ajournal_append(ENTRY, 10**6) for _ in range(50)))


def test_a_commit_never_copies_the_wal_back_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the checkpoint thread held back, 1,500 entries (4.5 MB) stay in the WAL: no commit ran SQLite's
    automatic checkpoint, which copies the WAL back once it holds 1,000 pages."""
    monkeypatch.setattr(sqlite_store, "CHECKPOINT_SECONDS", 3600.0)
    path = tmp_path / "mock.db"
    store = SqliteStore(path)
    try:
        asyncio.run(write_journal(store, 1500))
        assert database_bytes(path) < 100_000
        assert Path(f"{path}-wal").stat().st_size > 1500 * len(ENTRY)
    finally:
        store.close()


def test_the_checkpoint_thread_copies_the_wal_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "CHECKPOINT_SECONDS", 0.01)
    path = tmp_path / "mock.db"
    store = SqliteStore(path)

    async def copied() -> bool:
        await write_journal(store, 500)
        for _ in range(500):  # the thread's next rounds, five seconds at most
            if database_bytes(path) > 500 * len(ENTRY):
                return True
            await asyncio.sleep(0.01)
        return False

    try:
        assert asyncio.run(copied())
    finally:
        store.close()


HOLD_THE_TURN = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
sys.stdin.readline()
"""


def holding_the_turn(database: Path) -> subprocess.Popen[str]:
    """Another process, holding the turn at writing until a line reaches its input."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_TURN, f"{database}-writer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    return holder


def test_a_batch_waits_its_turn_at_the_writer_lock(tmp_path: Path) -> None:
    """While another process has its turn (the lock on the file beside the database), a write does not start; it
    runs as soon as that process lets go."""
    store = SqliteStore(tmp_path / "mock.db")
    holder = holding_the_turn(tmp_path / "mock.db")

    async def scenario() -> tuple[bool, int]:
        pending = asyncio.ensure_future(store.ajournal_append(b"entry", 100))
        done, _ = await asyncio.wait({pending}, timeout=0.2)
        holder.communicate("\n", timeout=10)
        return not done, await pending

    try:
        waited, seq = asyncio.run(scenario())
    finally:
        holder.kill()
        holder.wait()
        store.close()
    assert waited
    assert seq == 1


def test_a_turn_held_past_the_busy_time_is_a_503_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that keeps the turn (stopped, or stuck) costs the others' requests BUSY_SECONDS, then they are
    answered 503 (StoreUnavailable); the store writes again once the turn is let go."""
    monkeypatch.setattr(sqlite_store, "BUSY_SECONDS", 0.3)
    store = SqliteStore(tmp_path / "mock.db")
    holder = holding_the_turn(tmp_path / "mock.db")

    async def scenario() -> int:
        with pytest.raises(StoreUnavailable, match="turn at writing"):
            await store.ajournal_append(b"entry", 100)
        holder.communicate("\n", timeout=10)
        return await store.ajournal_append(b"entry", 100)

    try:
        assert asyncio.run(scenario()) == 1
    finally:
        holder.kill()
        holder.wait()
        store.close()


def test_two_stores_of_one_process_take_turns(tmp_path: Path) -> None:
    """The turn is a lock of the open file: a second store of the same process on the same file waits for it too."""
    first, second = SqliteStore(tmp_path / "mock.db"), SqliteStore(tmp_path / "mock.db")
    try:
        with first._turn(), pytest.raises(BlockingIOError):
            fcntl.flock(second._writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(second._writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(second._writer, fcntl.LOCK_UN)
    finally:
        first.close()
        second.close()
