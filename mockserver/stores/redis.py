"""Redis: tasks, the clock's state, the random source's counters and the journal shared by mock instances on
several machines. Every change that must be atomic is one command or one Lua script."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mockserver.engine.task import Task
from mockserver.stores.base import StoreError, decode_task, encode_task

PREFIX = "jimeng-mock:"

_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'polls', 0)
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
"""
_POLL = """
local expires = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not expires or tonumber(expires) <= tonumber(ARGV[2]) or redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
redis.call('HINCRBY', KEYS[1], 'polls', 1)
return redis.call('HMGET', KEYS[1], 'data', 'polls', 'finished_at')
"""
_FINISH = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSETNX', KEYS[1], 'finished_at', ARGV[1]) end
return 0
"""
_SWAP = """
local current = redis.call('GET', KEYS[1])
if (ARGV[1] == '' and not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_APPEND = """
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
return seq
"""


class RedisStore:
    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise StoreError("the Redis store needs redis-py: pip install 'jimeng-mock[redis]'") from None
        self.url = url
        try:
            self._redis: Any = redis.Redis.from_url(url, decode_responses=True)  # untyped replies: str, int, list
            self._redis.ping()
        except (redis.RedisError, ValueError) as exc:
            raise StoreError(f"cannot reach the Redis store {url!r}: {exc}") from None
        self._add = self._redis.register_script(_ADD)
        self._poll = self._redis.register_script(_POLL)
        self._finish = self._redis.register_script(_FINISH)
        self._swap = self._redis.register_script(_SWAP)
        self._append = self._redis.register_script(_APPEND)
        self._order, self._expiry, self._seq = PREFIX + "tasks", PREFIX + "expiry", PREFIX + "task-seq"

    @staticmethod
    def _key(task_id: str) -> str:
        return f"{PREFIX}task:{task_id}"

    # -- tasks ------------------------------------------------------------------------------------
    def add(self, task: Task) -> bool:
        keys = [self._key(task.id), self._order, self._expiry, self._seq]
        return bool(self._add(keys=keys, args=[encode_task(task), repr(task.expires_at), task.id]))

    def get(self, task_id: str, now: float) -> Task | None:
        data, polls, finished = self._redis.hmget(self._key(task_id), ["data", "polls", "finished_at"])
        task = None if data is None else _decode(data, polls, finished)
        return None if task is None or task.expires_at <= now else task

    def record_poll(self, task_id: str, now: float) -> Task | None:
        found = self._poll(keys=[self._key(task_id), self._expiry], args=[task_id, repr(now)])
        return _decode(*found) if found else None

    def mark_finished(self, task_id: str, when: float) -> None:
        self._finish(keys=[self._key(task_id)], args=[repr(when)])

    def scan(self, now: float) -> Iterator[Task]:
        ids = self._redis.zrange(self._order, 0, -1)
        pipe = self._redis.pipeline(transaction=False)
        for task_id in ids:
            pipe.hmget(self._key(task_id), ["data", "polls", "finished_at"])
        tasks = [_decode(*row) for row in pipe.execute() if row[0] is not None]
        return (task for task in tasks if task.expires_at > now)

    def remove(self, task_id: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.delete(self._key(task_id)).zrem(self._order, task_id).zrem(self._expiry, task_id)
        return bool(pipe.execute()[0])

    def purge(self, now: float) -> int:
        expired = self._redis.zrangebyscore(self._expiry, "-inf", now)
        return sum(self.remove(task_id) for task_id in expired)

    def clear(self) -> None:
        ids = self._redis.zrange(self._order, 0, -1)
        pipe = self._redis.pipeline()
        for task_id in ids:
            pipe.delete(self._key(task_id))
        pipe.delete(self._order, self._expiry)
        pipe.execute()

    def __len__(self) -> int:
        return int(self._redis.zcard(self._order))

    # -- the random source's counters -------------------------------------------------------------
    def next_number(self, family: str) -> int:
        return int(self._redis.hincrby(PREFIX + "counters", family, 1))

    def reset_counters(self) -> None:
        self._redis.delete(PREFIX + "counters")

    # -- the clock --------------------------------------------------------------------------------
    def load_clock(self) -> str | None:
        value = self._redis.get(PREFIX + "clock")
        return None if value is None else str(value)

    def swap_clock(self, expected: str | None, new: str) -> bool:
        return bool(self._swap(keys=[PREFIX + "clock"], args=[expected or "", new]))

    # -- the media signing key ------------------------------------------------------------------------
    def media_key(self, candidate: str) -> str:
        self._redis.set(PREFIX + "media-key", candidate, nx=True)
        return str(self._redis.get(PREFIX + "media-key"))

    # -- the journal ------------------------------------------------------------------------------
    def journal_append(self, entry: dict[str, Any], keep: int) -> int:
        text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        return int(self._append(keys=[PREFIX + "journal", PREFIX + "journal-seq"], args=[text, keep]))

    def journal_entries(self, keep: int) -> list[dict[str, Any]]:
        lines = self._redis.lrange(PREFIX + "journal", -keep, -1)
        return [json.loads(text) | {"seq": int(seq)} for seq, text in (line.split(" ", 1) for line in lines)]

    def journal_clear(self) -> None:
        self._redis.delete(PREFIX + "journal")

    def journal_len(self, keep: int) -> int:
        return min(keep, int(self._redis.llen(PREFIX + "journal")))

    def close(self) -> None:
        self._redis.close()


def _decode(data: str, polls: str | None, finished: str | None) -> Task:
    return decode_task(data, int(polls or 0), None if finished is None else float(finished))
