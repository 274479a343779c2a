"""Redis: tasks, the clock's state, the random source's counters and the journal shared by mock instances on
several machines. Every change that must be atomic is one command or one Lua script.

A request's store calls run in the store's threads (`StoreThreads`), never on the event loop. A poll is one round
trip (one script counts the poll, reads the task and reads the clock's state), a submit two (the task's number with
the clock's state, then the task), and each answer's journal entry one more."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mockserver.core.clock import offer_clock
from mockserver.engine.store import StoreUnavailable
from mockserver.engine.task import Task
from mockserver.stores.base import STORE_THREADS, DecodedTasks, StoreError, StoreThreads, encode_task
from mockserver.stores.pipelined import PipelinedRedis

PREFIX = "jimeng-mock:"
CLOCK = PREFIX + "clock"
SOCKET_SECONDS = 5.0
"""How long a command waits for Redis before the request is answered 503."""

_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'polls', 0, 'provider', ARGV[4])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
"""
_POLL = """
local found = redis.call('HMGET', KEYS[1], 'data', 'provider', 'finished_at')
if not found[1] or (found[2] and found[2] ~= ARGV[1]) then return {false, false, false, redis.call('GET', KEYS[2])} end
local polls = redis.call('HINCRBY', KEYS[1], 'polls', 1)
return {found[1], polls, found[3], redis.call('GET', KEYS[2])}
"""
_READ = """
local found = redis.call('HMGET', KEYS[1], 'data', 'polls', 'finished_at')
return {found[1], found[2], found[3], redis.call('GET', KEYS[2])}
"""
_NUMBER = """
return {redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2]), redis.call('GET', KEYS[2])}
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
    def __init__(self, url: str, threads: int = STORE_THREADS) -> None:
        try:
            import redis
        except ImportError:
            raise StoreError("the Redis store needs redis-py: pip install 'jimeng-mock[redis]'") from None
        self.url = url
        self._failures = (redis.ConnectionError, redis.TimeoutError)
        try:
            self._redis: Any = redis.Redis.from_url(  # untyped replies: bytes, int, list
                url, socket_timeout=SOCKET_SECONDS, socket_connect_timeout=SOCKET_SECONDS
            )
            self._redis.ping()
        except (redis.RedisError, ValueError) as exc:
            raise StoreError(f"cannot reach the Redis store {url!r}: {exc}") from None
        self._add = self._redis.register_script(_ADD)
        self._poll = self._redis.register_script(_POLL)
        self._read = self._redis.register_script(_READ)
        self._number = self._redis.register_script(_NUMBER)
        self._finish = self._redis.register_script(_FINISH)
        self._swap = self._redis.register_script(_SWAP)
        self._append = self._redis.register_script(_APPEND)
        self._order, self._expiry, self._seq = PREFIX + "tasks", PREFIX + "expiry", PREFIX + "task-seq"
        self._decoded = DecodedTasks()
        self._next_expiry = 0.0
        """No stored task expires before this (as far as this process knows): purging sooner finds nothing."""
        self._threads = StoreThreads(threads)
        self._pipelined = PipelinedRedis(url, timeout=SOCKET_SECONDS)
        """The requests' own commands: one connection per event loop, sent together (redis-py's client, in the
        store's threads, does the rest: admin, listings, deletes)."""

    @staticmethod
    def _key(task_id: str) -> str:
        return f"{PREFIX}task:{task_id}"

    def _answered(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`call(...)`, with Redis gone or too slow raised as StoreUnavailable (the next call reconnects)."""
        try:
            return call(*args, **kwargs)
        except self._failures as exc:
            raise StoreUnavailable(f"the Redis store did not answer: {exc}") from None

    async def offload(self, function: Callable[..., Any], *args: Any) -> Any:
        return await self._threads.offload(function, *args)

    # -- tasks ------------------------------------------------------------------------------------
    def add(self, task: Task) -> bool:
        keys = [self._key(task.id), self._order, self._expiry, self._seq]
        args = [encode_task(task), repr(task.expires_at), task.id, task.provider]
        added = bool(self._answered(self._add, keys=keys, args=args))
        self._next_expiry = min(self._next_expiry, task.expires_at)
        return added

    def get(self, task_id: str, now: float) -> Task | None:
        data, polls, finished, clock = self._answered(self._read, keys=[self._key(task_id), CLOCK])
        offer_clock(_text(clock))
        task = None if data is None else self._task(task_id, data, polls, finished)
        return None if task is None or task.expires_at <= now else task

    def record_poll(self, task_id: str, provider: str) -> Task | None:
        data, polls, finished, clock = self._answered(self._poll, keys=[self._key(task_id), CLOCK], args=[provider])
        offer_clock(_text(clock))
        task = None if data is None else self._task(task_id, data, polls, finished)
        return task if task is not None and task.provider == provider else None

    async def apoll_task(self, task_id: str, provider: str) -> Task | None:
        reply = await self._pipelined.script(_POLL, [self._key(task_id), CLOCK], [provider])
        data, polls, finished, clock = reply
        offer_clock(_text(clock))
        task = None if data is None else self._task(task_id, data, polls, finished)
        return task if task is not None and task.provider == provider else None

    async def aadd(self, task: Task) -> bool:
        keys = [self._key(task.id), self._order, self._expiry, self._seq]
        args = [encode_task(task), repr(task.expires_at), task.id, task.provider]
        added = bool(await self._pipelined.script(_ADD, keys, args))
        self._next_expiry = min(self._next_expiry, task.expires_at)
        return added

    async def amark_finished(self, task_id: str, when: float) -> None:
        await self._pipelined.script(_FINISH, [self._key(task_id)], [repr(when)])

    async def anext_number(self, family: str, count: int = 1) -> int:
        number, clock = await self._pipelined.script(_NUMBER, [PREFIX + "counters", CLOCK], [family, count])
        offer_clock(_text(clock))
        return int(number)

    async def ajournal_append(self, packed: bytes, keep: int) -> int:
        keys = [PREFIX + "exchanges", PREFIX + "journal-seq"]
        return int(await self._pipelined.script(_APPEND, keys, [packed, keep]))

    def _task(self, task_id: str, data: bytes, polls: bytes | int | None, finished: bytes | None) -> Task:
        return self._decoded.task(task_id, data, int(polls or 0), None if finished is None else float(finished))

    def mark_finished(self, task_id: str, when: float) -> None:
        self._answered(self._finish, keys=[self._key(task_id)], args=[repr(when)])

    def scan(self, now: float) -> Iterator[Task]:
        ids = [task_id.decode() for task_id in self._answered(self._redis.zrange, self._order, 0, -1)]
        pipe = self._redis.pipeline(transaction=False)
        for task_id in ids:
            pipe.hmget(self._key(task_id), ["data", "polls", "finished_at"])
        rows = self._answered(pipe.execute)
        tasks = [self._task(task_id, *row) for task_id, row in zip(ids, rows, strict=True) if row[0] is not None]
        return (task for task in tasks if task.expires_at > now)

    def remove(self, task_id: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.delete(self._key(task_id)).zrem(self._order, task_id).zrem(self._expiry, task_id)
        return bool(self._answered(pipe.execute)[0])

    def purge_due(self, now: float) -> bool:
        return now >= self._next_expiry

    def purge(self, now: float) -> int:
        """Drop expired tasks: a round trip only once the earliest expiry this process knows of has passed (a
        read of an expired task finds nothing either way)."""
        if now < self._next_expiry:
            return 0
        expired = self._answered(self._redis.zrangebyscore, self._expiry, "-inf", now)
        dropped = sum(self.remove(task_id.decode()) for task_id in expired)
        earliest = self._answered(self._redis.zrange, self._expiry, 0, 0, withscores=True)
        self._next_expiry = float(earliest[0][1]) if earliest else float("inf")
        return dropped

    def clear(self) -> None:
        ids = self._answered(self._redis.zrange, self._order, 0, -1)
        pipe = self._redis.pipeline()
        for task_id in ids:
            pipe.delete(self._key(task_id.decode()))
        pipe.delete(self._order, self._expiry)
        self._answered(pipe.execute)
        self._decoded.clear()
        self._next_expiry = 0.0

    def __len__(self) -> int:
        return int(self._answered(self._redis.zcard, self._order))

    # -- the random source's counters -------------------------------------------------------------
    def next_number(self, family: str, count: int = 1) -> int:
        number, clock = self._answered(self._number, keys=[PREFIX + "counters", CLOCK], args=[family, count])
        offer_clock(_text(clock))
        return int(number)

    def reset_counters(self) -> None:
        self._answered(self._redis.delete, PREFIX + "counters")

    # -- the clock --------------------------------------------------------------------------------
    def load_clock(self) -> str | None:
        return _text(self._answered(self._redis.get, CLOCK))

    def swap_clock(self, expected: str | None, new: str) -> bool:
        return bool(self._answered(self._swap, keys=[CLOCK], args=[expected or "", new]))

    # -- the media signing key ------------------------------------------------------------------------
    def media_key(self, candidate: str) -> str:
        self._answered(self._redis.set, PREFIX + "media-key", candidate, nx=True)
        return str(_text(self._answered(self._redis.get, PREFIX + "media-key")))

    # -- the journal ------------------------------------------------------------------------------
    def journal_append(self, packed: bytes, keep: int) -> int:
        keys = [PREFIX + "exchanges", PREFIX + "journal-seq"]
        return int(self._answered(self._append, keys=keys, args=[packed, keep]))

    def journal_entries(self, keep: int) -> list[tuple[int, bytes]]:
        lines = self._answered(self._redis.lrange, PREFIX + "exchanges", -keep, -1)
        return [(int(seq), packed) for seq, packed in (line.split(b" ", 1) for line in lines)]

    def journal_clear(self) -> None:
        self._answered(self._redis.delete, PREFIX + "exchanges")

    def journal_len(self, keep: int) -> int:
        return min(keep, int(self._answered(self._redis.llen, PREFIX + "exchanges")))

    def close(self) -> None:
        self._threads.close()
        self._pipelined.close()
        self._redis.close()


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()
