"""How SQLite stores sharing one file take turns at writing, and who copies the WAL back into the database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
fcntl.lockf(fd, fcntl.LOCK_EX, 1, 1)
print("holding", flush=True)
sys.stdin.readline()
"""


def test_a_batch_waits_its_turn_at_the_writer_lock(tmp_path: Path) -> None:
    """While another process has its turn (the lock on byte 1 of the file beside the database), a write does not
    start; it runs as soon as that process lets go."""
    store = SqliteStore(tmp_path / "mock.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_TURN, f"{tmp_path / 'mock.db'}-writer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    async def scenario() -> tuple[bool, int]:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
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
