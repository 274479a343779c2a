"""A SQLite file: tasks, the clock's state, the random source's counters and the journal survive a restart and
a `kill -9`, and several worker processes on one machine share them (WAL mode, atomic updates)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mockserver.engine.task import Task
from mockserver.stores.base import StoreError, decode_task, encode_task

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
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL);
"""
_TRIM_EVERY = 64
"""The journal is cut back to its size once every this many entries, not on every write."""


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable across a process crash
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store {str(self.path)!r}: {exc}") from None
        self._lock = threading.Lock()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- tasks ------------------------------------------------------------------------------------
    def add(self, task: Task) -> bool:
        cursor = self._run(
            "INSERT INTO tasks (id, expires_at, data) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (task.id, task.expires_at, encode_task(task)),
        )
        return cursor.rowcount == 1

    def get(self, task_id: str, now: float) -> Task | None:
        rows = self._rows("SELECT data, polls, finished_at FROM tasks WHERE id = ? AND expires_at > ?", (task_id, now))
        return decode_task(*rows[0]) if rows else None

    def record_poll(self, task_id: str, now: float) -> Task | None:
        rows = self._rows(
            "UPDATE tasks SET polls = polls + 1 WHERE id = ? AND expires_at > ? RETURNING data, polls, finished_at",
            (task_id, now),
        )
        return decode_task(*rows[0]) if rows else None

    def mark_finished(self, task_id: str, when: float) -> None:
        self._run("UPDATE tasks SET finished_at = ? WHERE id = ? AND finished_at IS NULL", (when, task_id))

    def scan(self, now: float) -> Iterator[Task]:
        rows = self._rows("SELECT data, polls, finished_at FROM tasks WHERE expires_at > ? ORDER BY rowid", (now,))
        return (decode_task(*row) for row in rows)

    def remove(self, task_id: str) -> bool:
        return self._run("DELETE FROM tasks WHERE id = ?", (task_id,)).rowcount == 1

    def purge(self, now: float) -> int:
        return self._run("DELETE FROM tasks WHERE expires_at <= ?", (now,)).rowcount

    def clear(self) -> None:
        self._run("DELETE FROM tasks")

    def __len__(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM tasks")[0][0])

    # -- the random source's counters -------------------------------------------------------------
    def next_number(self, family: str) -> int:
        rows = self._rows(
            "INSERT INTO counters (family, value) VALUES (?, 1)"
            " ON CONFLICT (family) DO UPDATE SET value = value + 1 RETURNING value",
            (family,),
        )
        return int(rows[0][0])

    def reset_counters(self) -> None:
        self._run("DELETE FROM counters")

    # -- the clock --------------------------------------------------------------------------------
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
    def journal_append(self, entry: dict[str, Any], keep: int) -> int:
        text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        seq = int(self._rows("INSERT INTO journal (entry) VALUES (?) RETURNING seq", (text,))[0][0])
        if seq % _TRIM_EVERY == 0:
            self._run("DELETE FROM journal WHERE seq <= ?", (seq - keep,))
        return seq

    def journal_entries(self, keep: int) -> list[dict[str, Any]]:
        rows = self._rows("SELECT seq, entry FROM journal ORDER BY seq DESC LIMIT ?", (keep,))
        return [json.loads(entry) | {"seq": seq} for seq, entry in reversed(rows)]

    def journal_clear(self) -> None:
        self._run("DELETE FROM journal")

    def journal_len(self, keep: int) -> int:
        return min(keep, int(self._rows("SELECT COUNT(*) FROM journal")[0][0]))

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):  # another process is writing: its own close checkpoints
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
