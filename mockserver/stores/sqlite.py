"""A SQLite file: tasks, the clock's state, the random source's counters and the journal survive a restart and
a `kill -9`, and several worker processes on one machine share them (WAL mode, atomic updates).

A request's store calls run in the store's own thread (`StoreWorker`), never on the event loop: a statement waiting
for another process's write lock holds up that thread only. The calls that arrive while it runs a batch make the
next batch, one transaction: one write lock and one commit for all of them, so the more requests wait, the fewer
times the processes sharing the file take turns at the lock. A request is answered after its batch committed.

The processes take turns through locks on two files beside the database (`<file>-writer`, `<file>-queue`), tried
every 0.1 ms, where SQLite's own wait sleeps 1 ms and then longer; a process that has just written queues behind the
one waiting. The WAL is copied back
into the database by a checkpoint thread of each process, so no request waits for that copy (and its fsync), as it
would when the commit that fills the WAL runs SQLite's automatic checkpoint."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockserver.core.clock import clock_wanted, offer_clock
from mockserver.engine.store import StoreUnavailable
from mockserver.engine.task import Task
from mockserver.stores.base import DecodedTasks, StoreError, encode_task
from mockserver.stores.worker import StoreWorker

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    expires_at REAL NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_expiry ON tasks (expires_at);
CREATE TABLE IF NOT EXISTS counters (family TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clock (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exchanges (seq INTEGER PRIMARY KEY AUTOINCREMENT, packed BLOB NOT NULL);
"""
_CLOCK_STATE = "(SELECT state FROM clock WHERE id = 1)"
"""The clock's state, read in the statement of a request's first command (as Redis reads it in the same script)."""
_TRIM_EVERY = 64
"""The journal is cut back to its size once every this many entries, not on every write."""
BUSY_SECONDS = 30.0
"""How long a statement waits for another process's write lock before the request is answered 503."""
CHECKPOINT_SECONDS = 0.1
"""How often the checkpoint thread copies the WAL's committed pages back into the database."""
TURN_RETRY_SECONDS = 0.0001
"""How often a process waiting for its turn at writing looks again."""


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            db = self._db()
            db.executescript(SCHEMA)
            if "provider" not in {row[1] for row in db.execute("PRAGMA table_info(tasks)")}:
                db.execute("ALTER TABLE tasks ADD COLUMN provider TEXT")  # a file written before it was kept
            self._writer = os.open(f"{self.path}-writer", os.O_RDWR | os.O_CREAT, 0o600)
            self._queue = os.open(f"{self.path}-queue", os.O_RDWR | os.O_CREAT, 0o600)
        except (sqlite3.Error, OSError) as exc:
            self._close_connections()
            raise StoreError(f"cannot open the SQLite store {str(self.path)!r}: {exc}") from None
        self._decoded = DecodedTasks()
        self._next_expiry = 0.0
        """No stored task expires before this (as far as this process knows): purging sooner finds nothing."""
        self._closing = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint, name="jimeng-mock-checkpoint", daemon=True)
        self._checkpointer.start()
        self._worker = StoreWorker(self._transaction, name="jimeng-mock-sqlite")

    def _db(self) -> sqlite3.Connection:
        """This thread's connection."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable across a process crash
            db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpoint thread's work
            db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = _answered(lambda: self._db().execute(sql, params))
        return cursor

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        rows: list[Any] = _answered(lambda: self._db().execute(sql, params).fetchall())
        return rows

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One batch of the worker's calls: committed together, or not at all."""
        db = self._db()
        with self._turn():
            _begin(db)
            try:
                yield
            except BaseException:
                db.execute("ROLLBACK")
                raise
            _answered(lambda: db.execute("COMMIT"))

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn at writing: a lock on `<file>-writer`, waited for while holding one on `<file>-queue`,
        so that a process that has just written queues behind the one waiting rather than taking its turn again
        before that one has looked. Both are locks of the open file (flock): two stores of one process take turns
        too. Each is waited for BUSY_SECONDS at most, as SQLite's own lock is."""
        _lock(self._queue)
        try:
            _lock(self._writer)
        finally:
            fcntl.flock(self._queue, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._writer, fcntl.LOCK_UN)

    def _checkpoint(self) -> None:
        """Copy the WAL back into the database now and then, beside the writers (a passive checkpoint waits for
        nobody); a process killed in between leaves a WAL that the next open reads."""
        with contextlib.closing(sqlite3.connect(self.path, isolation_level=None, timeout=0)) as db:
            while not self._closing.wait(CHECKPOINT_SECONDS):
                with contextlib.suppress(sqlite3.Error):  # another process's checkpoint runs: it does the same
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def offload(self, function: Callable[..., Any], *args: Any) -> Any:
        return await self._worker.run(function, *args)

    async def apoll_task(self, task_id: str, provider: str) -> Task | None:
        return self._polled(task_id, provider, await self._worker.run(self._count_poll, task_id, provider))

    async def anext_number(self, family: str, count: int = 1) -> int:
        return int(await self._worker.run(self.next_number, family, count))

    async def aadd(self, task: Task) -> bool:
        text = encode_task(task)  # before the batch: the write lock is held for statements only
        return bool(await self._worker.run(self._insert, task, text))

    async def amark_finished(self, task_id: str, when: float) -> None:
        await self._worker.run(self.mark_finished, task_id, when)

    async def ajournal_append(self, packed: bytes, keep: int) -> int:
        return int(await self._worker.run(self.journal_append, packed, keep))

    # -- tasks ------------------------------------------------------------------------------------
    def add(self, task: Task) -> bool:
        return self._insert(task, encode_task(task))

    def _insert(self, task: Task, text: str) -> bool:
        cursor = self._run(
            "INSERT INTO tasks (id, expires_at, provider, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (task.id, task.expires_at, task.provider, text),
        )
        self._next_expiry = min(self._next_expiry, task.expires_at)
        return cursor.rowcount == 1

    def get(self, task_id: str, now: float) -> Task | None:
        rows = self._rows("SELECT data, polls, finished_at FROM tasks WHERE id = ? AND expires_at > ?", (task_id, now))
        self._offer_clock()
        return self._decoded.task(task_id, *rows[0]) if rows else None

    def record_poll(self, task_id: str, provider: str) -> Task | None:
        return self._polled(task_id, provider, self._count_poll(task_id, provider))

    def _count_poll(self, task_id: str, provider: str) -> tuple[Any, ...] | None:
        """The poll counted: the task's stored row (the clock's state with it), or None for no such task."""
        rows = self._rows(
            "UPDATE tasks SET polls = polls + 1 WHERE id = ? AND coalesce(provider, ?) = ?"
            f" RETURNING data, polls, finished_at, {_CLOCK_STATE}",
            (task_id, provider, provider),
        )
        if not rows:
            self._offer_clock()
            return None
        row: tuple[Any, ...] = rows[0]
        return row

    def _polled(self, task_id: str, provider: str, row: tuple[Any, ...] | None) -> Task | None:
        """The polled task decoded from its row, after its batch (the write lock is held for statements only)."""
        if row is None:
            return None
        data, polls, finished_at, clock = row
        offer_clock(clock)
        task = self._decoded.task(task_id, data, polls, finished_at)
        return task if task.provider == provider else None

    def mark_finished(self, task_id: str, when: float) -> None:
        self._run("UPDATE tasks SET finished_at = ? WHERE id = ? AND finished_at IS NULL", (when, task_id))

    def scan(self, now: float) -> Iterator[Task]:
        rows = self._rows("SELECT id, data, polls, finished_at FROM tasks WHERE expires_at > ? ORDER BY rowid", (now,))
        return (self._decoded.task(*row) for row in rows)

    def end(self, task: Task) -> bool:
        cursor = self._run(
            "UPDATE tasks SET expires_at = ?, finished_at = ?, data = ? WHERE id = ? AND finished_at IS NULL",
            (task.expires_at, task.finished_at, encode_task(task), task.id),
        )
        self._next_expiry = min(self._next_expiry, task.expires_at)
        return cursor.rowcount == 1

    def remove(self, task_id: str) -> bool:
        return self._run("DELETE FROM tasks WHERE id = ?", (task_id,)).rowcount == 1

    def purge_due(self, now: float) -> bool:
        return now >= self._next_expiry

    def purge(self, now: float) -> int:
        """Drop expired tasks: a write only once the earliest expiry this process knows of has passed (a read of
        an expired task finds nothing either way)."""
        if now < self._next_expiry:
            return 0
        dropped = self._run("DELETE FROM tasks WHERE expires_at <= ?", (now,)).rowcount
        earliest = self._rows("SELECT min(expires_at) FROM tasks")[0][0]
        self._next_expiry = float("inf") if earliest is None else float(earliest)
        return dropped

    def clear(self) -> None:
        self._run("DELETE FROM tasks")
        self._decoded.clear()
        self._next_expiry = 0.0

    def __len__(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM tasks")[0][0])

    # -- the random source's counters -------------------------------------------------------------
    def next_number(self, family: str, count: int = 1) -> int:
        rows = self._rows(
            "INSERT INTO counters (family, value) VALUES (?, ?)"
            f" ON CONFLICT (family) DO UPDATE SET value = value + excluded.value RETURNING value, {_CLOCK_STATE}",
            (family, count),
        )
        number, clock = rows[0]
        offer_clock(clock)
        return int(number)

    def reset_counters(self) -> None:
        self._run("DELETE FROM counters")

    # -- the clock --------------------------------------------------------------------------------
    def _offer_clock(self) -> None:
        """Read the clock right after a request's command, for the request (if it has not read the time yet)."""
        if clock_wanted():
            offer_clock(self.load_clock())

    def load_clock(self) -> str | None:
        rows = self._rows("SELECT state FROM clock WHERE id = 1")
        return str(rows[0][0]) if rows else None

    def swap_clock(self, expected: str | None, new: str) -> bool:
        if expected is None:
            cursor = self._run("INSERT INTO clock (id, state) VALUES (1, ?) ON CONFLICT (id) DO NOTHING", (new,))
        else:
            cursor = self._run("UPDATE clock SET state = ? WHERE id = 1 AND state = ?", (new, expected))
        return cursor.rowcount == 1

    # -- the media signing key ------------------------------------------------------------------------
    def media_key(self, candidate: str) -> str:
        self._run("INSERT INTO secrets (name, value) VALUES ('media', ?) ON CONFLICT (name) DO NOTHING", (candidate,))
        return str(self._rows("SELECT value FROM secrets WHERE name = 'media'")[0][0])

    # -- the journal ------------------------------------------------------------------------------
    def journal_append(self, packed: bytes, keep: int) -> int:
        seq = int(self._rows("INSERT INTO exchanges (packed) VALUES (?) RETURNING seq", (packed,))[0][0])
        if seq % _TRIM_EVERY == 0:
            self._run("DELETE FROM exchanges WHERE seq <= ?", (seq - keep,))
        return seq

    def journal_entries(self, keep: int) -> list[tuple[int, bytes]]:
        rows = self._rows("SELECT seq, packed FROM exchanges ORDER BY seq DESC LIMIT ?", (keep,))
        return [(int(seq), bytes(packed)) for seq, packed in reversed(rows)]

    def journal_clear(self) -> None:
        self._run("DELETE FROM exchanges")

    def journal_len(self, keep: int) -> int:
        return min(keep, int(self._rows("SELECT COUNT(*) FROM exchanges")[0][0]))

    def close(self) -> None:
        self._worker.close()
        if not self._closing.is_set():  # closed once already (a runtime and its server both close it)
            self._closing.set()
            self._checkpointer.join()
            os.close(self._writer)
            os.close(self._queue)
        self._close_connections()

    def _close_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for db in connections:
            with contextlib.suppress(sqlite3.Error):  # another process is writing: its own close checkpoints
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()


def _lock(fd: int) -> None:
    """An exclusive lock of the open file `fd`, tried again every TURN_RETRY_SECONDS for BUSY_SECONDS."""
    waited = 0.0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if waited > BUSY_SECONDS:
                held = f"another process has held its turn at writing for {BUSY_SECONDS:g} s"
                raise StoreUnavailable(f"the SQLite store did not answer: {held}") from None
        time.sleep(TURN_RETRY_SECONDS)
        waited += TURN_RETRY_SECONDS


def _begin(db: sqlite3.Connection) -> None:
    """Take the write lock, trying again after 0.1 ms, then twice as long each time up to 5 ms, for BUSY_SECONDS:
    SQLite's own wait sleeps 1 ms, then longer, however soon the other process's batch commits."""
    waited, delay = 0.0, 0.0001
    while True:
        try:
            db.execute("PRAGMA busy_timeout=0")
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or waited > BUSY_SECONDS:
                raise StoreUnavailable(f"the SQLite store did not answer: {exc}") from None
        finally:
            db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        time.sleep(delay)
        waited += delay
        delay = min(delay * 2, 0.005)


def _answered(call: Callable[[], Any]) -> Any:
    """`call()`, with the file locked past BUSY_SECONDS (or gone) raised as StoreUnavailable."""
    try:
        return call()
    except sqlite3.OperationalError as exc:
        raise StoreUnavailable(f"the SQLite store did not answer: {exc}") from None
