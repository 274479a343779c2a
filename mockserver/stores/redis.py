"""Redis: tasks, the clock's state, the random source's counters and the journal shared by mock instances on
several machines. Every change that must be atomic is one command or one transaction (MULTI/EXEC); a Lua script
within it decides only what depends on what is stored (whether a task's id is taken, whose task a poll counts).

A request's calls are awaited on its event loop's one connection (`PipelinedRedis`), the others run in the store's
threads (`StoreThreads`): none waits on the event loop. A poll is one round trip (one transaction counts the poll,
reads the task and reads the clock's state), a submit two (the task's number with the clock's state, then the task);
the journal entries a loop turn appends go together in one more."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from mockserver.core.clock import offer_clock
from mockserver.engine.store import StoreUnavailable
from mockserver.engine.task import Task
from mockserver.stores.base import STORE_THREADS, DecodedTasks, StoreError, StoreThreads, encode_task
from mockserver.stores.pipelined import PipelinedRedis, evalsha

PREFIX = "jimeng-mock:"
CLOCK = PREFIX + "clock"
COUNTERS = PREFIX + "counters"
JOURNAL, JOURNAL_COUNT = PREFIX + "journal", PREFIX + "journal-count"
"""The journal's entries (packed, unnumbered: the newest is number JOURNAL_COUNT), and how many were ever appended."""
EARLIER_JOURNAL = (PREFIX + "exchanges", PREFIX + "journal-seq")
"""Where versions that numbered each entry kept their journal: never read, cleared with the journal (it holds the
requests as they came, credentials included)."""
SOCKET_SECONDS = 5.0
"""How long a command waits for Redis before the request is answered 503."""

_CLAIM = """
if redis.call('HEXISTS', KEYS[1], 'provider') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'polls', 0, 'provider', ARGV[3])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return 1
"""
"""A new task's id and counts, unless the id is taken. The task's text does not pass through the script: `HSETNX`
stores it in the same transaction (and leaves a taken id's text as it is). An id is taken once its provider is
stored: a claim that failed because Redis had forgotten the script stored the text alone, and is sent again."""
_COUNT = """
if redis.call('HGET', KEYS[1], 'provider') ~= ARGV[1] then return false end
return redis.call('HINCRBY', KEYS[1], 'polls', 1)
"""
"""A poll counted when the task is there and is that gateway's: its poll count (nil: not counted). The task's text
and the clock are read by plain commands in the same transaction."""
_FINISH = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSETNX', KEYS[1], 'finished_at', ARGV[1]) end
return 0
"""
_END = """
if redis.call('HEXISTS', KEYS[1], 'provider') == 0 or redis.call('HEXISTS', KEYS[1], 'finished_at') == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'finished_at', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
"""
"""A live task ended in one step: its text and finish time replaced, its expiry moved (its poll count kept)."""
_SWAP = """
local current = redis.call('GET', KEYS[1])
if (ARGV[1] == '' and not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


class RedisStore:
    def __init__(self, url: str, threads: int = STORE_THREADS) -> None:
        try:
            import redis
        except ImportError:
            raise StoreError("the Redis store needs redis-py: pip install 'jimeng-mock[redis]'") from None
        self.url = url
        self._failures = (redis.ConnectionError, redis.TimeoutError)
        self._forgotten = redis.exceptions.NoScriptError
        try:
            self._redis: Any = redis.Redis.from_url(  # untyped replies: bytes, int, list
                url, socket_timeout=SOCKET_SECONDS, socket_connect_timeout=SOCKET_SECONDS
            )
            self._redis.ping()
        except (redis.RedisError, ValueError) as exc:
            raise StoreError(f"cannot reach the Redis store {url!r}: {exc}") from None
        self._claim = self._redis.register_script(_CLAIM)
        self._count = self._redis.register_script(_COUNT)
        self._finish = self._redis.register_script(_FINISH)
        self._end = self._redis.register_script(_END)
        self._swap = self._redis.register_script(_SWAP)
        self._order, self._expiry, self._seq = PREFIX + "tasks", PREFIX + "expiry", PREFIX + "task-seq"
        self._decoded = DecodedTasks()
        self._next_expiry = 0.0
        """No stored task expires before this (as far as this process knows): purging sooner finds nothing."""
        self._threads = StoreThreads(threads)
        self._unsent: list[tuple[bytes, asyncio.Future[int]]] = []
        """The journal entries appended during this loop turn, each with what its request awaits."""
        self._unsent_loop: asyncio.AbstractEventLoop | None = None
        self._sending: set[asyncio.Task[list[Any]]] = set()
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
    def _claim_keys(self, task: Task) -> tuple[list[str], list[str]]:
        """The claim script's keys and arguments."""
        keys = [self._key(task.id), self._order, self._expiry, self._seq]
        return keys, [repr(task.expires_at), task.id, task.provider]

    def _transaction(self, queue: Callable[[Any], object], scripts: Sequence[str]) -> list[Any]:
        """The commands `queue(pipeline)` adds, run as one MULTI/EXEC; `scripts`, the sources of those it runs by
        digest, are loaded again when Redis has forgotten them (`SCRIPT FLUSH`, a restart), as
        `PipelinedRedis.transaction` does."""
        try:
            return list(self._answered(self._queued(queue).execute))
        except self._forgotten:
            for script in scripts:
                self._answered(self._redis.script_load, script)
            return list(self._answered(self._queued(queue).execute))

    def _queued(self, queue: Callable[[Any], object]) -> Any:
        pipe = self._redis.pipeline()
        queue(pipe)
        return pipe

    def add(self, task: Task) -> bool:
        keys, args = self._claim_keys(task)
        claimed, _ = self._transaction(
            lambda pipe: pipe.evalsha(self._claim.sha, len(keys), *keys, *args).hsetnx(
                keys[0], "data", encode_task(task)
            ),
            scripts=[_CLAIM],
        )
        added = bool(claimed)
        self._next_expiry = min(self._next_expiry, task.expires_at)
        return added

    async def aadd(self, task: Task) -> bool:
        keys, args = self._claim_keys(task)
        claimed, _ = await self._pipelined.transaction(
            evalsha(_CLAIM, keys, args), (b"HSETNX", keys[0], b"data", encode_task(task)), scripts=[_CLAIM]
        )
        self._next_expiry = min(self._next_expiry, task.expires_at)
        return bool(claimed)

    def get(self, task_id: str, now: float) -> Task | None:
        pipe = self._redis.pipeline()
        pipe.hmget(self._key(task_id), ["data", "polls", "finished_at", "provider"]).get(CLOCK)
        (data, polls, finished, provider), clock = self._answered(pipe.execute)
        offer_clock(_text(clock))
        # no provider: a claim that stored the text but never counted (Redis forgot its script, and the claim sent
        # again never arrived): no task
        task = None if data is None or provider is None else self._task(task_id, data, polls, finished)
        return None if task is None or task.expires_at <= now else task

    def record_poll(self, task_id: str, provider: str) -> Task | None:
        key = self._key(task_id)
        polls, (data, finished), clock = self._transaction(
            lambda pipe: pipe.evalsha(self._count.sha, 1, key, provider).hmget(key, ["data", "finished_at"]).get(CLOCK),
            scripts=[_COUNT],
        )
        return self._polled(task_id, provider, polls, data, finished, clock)

    async def apoll_task(self, task_id: str, provider: str) -> Task | None:
        key = self._key(task_id)
        polls, (data, finished), clock = await self._pipelined.transaction(
            evalsha(_COUNT, [key], [provider]),
            (b"HMGET", key, b"data", b"finished_at"),
            (b"GET", CLOCK),
            scripts=[_COUNT],
        )
        return self._polled(task_id, provider, polls, data, finished, clock)

    def _polled(
        self,
        task_id: str,
        provider: str,
        polls: int | None,
        data: bytes | None,
        finished: bytes | None,
        clock: bytes | None,
    ) -> Task | None:
        offer_clock(_text(clock))
        if polls is None or data is None:
            return None
        task = self._task(task_id, data, polls, finished)
        return task if task.provider == provider else None

    async def amark_finished(self, task_id: str, when: float) -> None:
        await self._pipelined.script(_FINISH, [self._key(task_id)], [repr(when)])

    async def anext_number(self, family: str, count: int = 1) -> int:
        number, clock = await self._pipelined.transaction((b"HINCRBY", COUNTERS, family, count), (b"GET", CLOCK))
        offer_clock(_text(clock))
        return int(number)

    async def ajournal_append(self, packed: bytes, keep: int) -> int:
        """Appended with the other entries of this loop turn, in one transaction: the entries of a turn get
        consecutive numbers, in the order they were appended."""
        loop = asyncio.get_running_loop()
        if not self._unsent or self._unsent_loop is not loop:
            self._unsent, self._unsent_loop = [], loop
            loop.call_soon(self._send_journal, self._unsent, keep)
        future: asyncio.Future[int] = loop.create_future()
        self._unsent.append((packed, future))
        return await future

    def _send_journal(self, entries: list[tuple[bytes, asyncio.Future[int]]], keep: int) -> None:
        if self._unsent is entries:  # the next entry starts the next batch
            self._unsent = []
        sending = asyncio.get_running_loop().create_task(
            self._pipelined.transaction(
                (b"INCRBY", JOURNAL_COUNT, len(entries)),
                (b"RPUSH", JOURNAL, *(packed for packed, _ in entries)),
                (b"LTRIM", JOURNAL, -keep, -1),
            )
        )
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)
        sending.add_done_callback(functools.partial(_numbered, [future for _, future in entries]))

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

    def end(self, task: Task) -> bool:
        keys = [self._key(task.id), self._expiry]
        args = [encode_task(task), repr(task.finished_at), repr(task.expires_at), task.id]
        ended = bool(self._answered(self._end, keys=keys, args=args))
        self._next_expiry = min(self._next_expiry, task.expires_at)
        return ended

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
        number, clock = self._answered(self._redis.pipeline().hincrby(COUNTERS, family, count).get(CLOCK).execute)
        offer_clock(_text(clock))
        return int(number)

    def reset_counters(self) -> None:
        self._answered(self._redis.delete, COUNTERS)

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
    # Every entry is pushed with the count of entries ever pushed raised by one, in one transaction: the newest
    # kept entry's number is that count, and the others count down from it.
    def journal_append(self, packed: bytes, keep: int) -> int:
        pipe = self._redis.pipeline().incr(JOURNAL_COUNT).rpush(JOURNAL, packed).ltrim(JOURNAL, -keep, -1)
        return int(self._answered(pipe.execute)[0])

    def journal_entries(self, keep: int) -> list[tuple[int, bytes]]:
        newest, kept = self._answered(self._redis.pipeline().get(JOURNAL_COUNT).lrange(JOURNAL, -keep, -1).execute)
        first = int(newest or 0) - len(kept) + 1
        return [(first + n, packed) for n, packed in enumerate(kept)]

    def journal_clear(self) -> None:
        self._answered(self._redis.delete, JOURNAL, *EARLIER_JOURNAL)

    def journal_len(self, keep: int) -> int:
        return min(keep, int(self._answered(self._redis.llen, JOURNAL)))

    def close(self) -> None:
        self._threads.close()
        self._pipelined.close()
        self._redis.close()


def _numbered(futures: list[asyncio.Future[int]], sending: asyncio.Future[list[Any]]) -> None:
    """Hand each entry of a sent batch its number (the newest is the count of entries ever appended), or the
    batch's failure."""
    failure = None if sending.cancelled() else sending.exception()
    if failure is None and not sending.cancelled():
        newest = int(sending.result()[0])
    for n, future in enumerate(futures):
        if future.done():
            continue  # its request was cancelled (the client went away)
        if sending.cancelled():
            future.cancel()
        elif failure is not None:
            future.set_exception(failure)
        else:
            future.set_result(newest - len(futures) + 1 + n)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()
