"""The one seeded random source.

Each consumer asks for a named stream; a stream's sequence depends only on the seed and its name,
so one task's draws do not shift when another task is added or removed.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Protocol

from mockserver.core.streams import Draws, Stream
from mockserver.core.unavailable import StoreUnavailable


class Counters(Protocol):
    """Numbered-stream counters kept where several processes can share them (a store)."""

    def next_number(self, family: str, count: int = 1) -> int:
        """Take the next `count` numbers of a family at once; the last of them."""

    async def anext_number(self, family: str, count: int = 1) -> int:
        """`next_number`, awaited without holding up the event loop."""

    def reset_counters(self) -> None: ...


log = logging.getLogger("jimeng_mock")
TOKEN_BLOCK = 128
EVENT_LEASE = 100
"""Numbers of events (`event_number`) a process takes from shared counters at a time."""


class RandomSource:
    """With `shared` counters, every process using the same store numbers its streams from one sequence, so the
    n-th task is the n-th task whichever worker takes it. `local_number` stays per process."""

    def __init__(self, seed: int, shared: Counters | None = None) -> None:
        self.seed = seed
        self.shared = shared
        self._counters: dict[str, Iterator[int]] = {}
        self._token_blocks: dict[tuple[str, int], tuple[int, str]] = {}
        self._leases: dict[str, tuple[int, int]] = {}
        """Per event family: the next number this process may hand out, and the last of its lease."""
        self._next_leases: dict[str, tuple[int, int]] = {}
        """Per event family: the lease taken ahead, the first and last of its numbers."""
        self._taking: set[str] = set()
        """The event families whose next lease is being taken."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._generation = 0
        """Counted up by each reset: a lease taken ahead before it is not used after it."""
        self._lock = threading.Lock()

    def stream(self, name: str) -> Stream:
        """A generator fixed by (seed, name): the same name always yields the same sequence."""
        return Stream(f"{self.seed}:{name}".encode())

    def next_stream(self, family: str) -> tuple[int, Stream]:
        """The next numbered stream of a family (`task:1`, `task:2`, ...), and its number."""
        number = self.next_number(family)
        return number, self.stream(f"{family}:{number}")

    def next_number(self, family: str) -> int:
        if self.shared is not None:
            return self.shared.next_number(family)
        return self.local_number(family)

    def event_number(self, family: str) -> int:
        """The next number of a family of events (a gateway's request ids): unique across the processes sharing
        the counters, and rising within one process, which takes them from the store EVENT_LEASE at a time.
        Unlike `next_number` (tasks), the n-th event of two processes is not numbered n whichever serves it."""
        if self.shared is None:
            return self.local_number(family)
        with self._lock:
            following, last = self._leases.get(family, (1, 0))
            if following > last and family in self._next_leases:
                following, last = self._next_leases.pop(family)
            leased = following <= last
            if leased:
                self._leases[family] = (following + 1, last)
        if leased:
            if last - following == EVENT_LEASE // 2:
                self._take_lease_ahead(family)
            return following
        try:
            last = self.shared.next_number(family, EVENT_LEASE)
        except StoreUnavailable:  # the answer is the gateway's 503: its number may repeat another process's
            return self.local_number(family)
        with self._lock:
            self._leases[family] = (last - EVENT_LEASE + 2, last)
        return last - EVENT_LEASE + 1

    def _take_lease_ahead(self, family: str) -> None:
        """Half a lease handed out: the next one is taken now, awaited on the event loop, so the request that needs
        it finds it ready rather than waiting for the store (a SQLite file another worker is writing: milliseconds).
        Off an event loop, or while a lease of the family is still being taken, the next lease is taken when it is
        needed. A lease that arrives after a reset, or after a later one was taken meanwhile, is dropped (its
        numbers go unused), so numbers only rise."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        shared, generation = self.shared, self._generation
        assert shared is not None
        with self._lock:
            if family in self._taking:
                return
            self._taking.add(family)

        async def take() -> None:
            try:
                if generation != self._generation:  # reset before this ran: its numbers are not to be drawn
                    return
                last = await shared.anext_number(family, EVENT_LEASE)
            except Exception as exc:  # taken when it is needed, then (where a failure answers the request)
                log.debug("the next lease of %s event numbers was not taken ahead: %s", family, exc)
                return
            finally:
                with self._lock:
                    self._taking.discard(family)
            with self._lock:
                if generation == self._generation and last > self._leases.get(family, (1, 0))[1]:
                    self._next_leases[family] = (last - EVENT_LEASE + 1, last)

        task = loop.create_task(take())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def local_number(self, family: str) -> int:
        """The next number of a family counted in this process only (state each process rebuilds itself)."""
        counter = self._counters.get(family)
        if counter is None:
            with self._lock:
                counter = self._counters.setdefault(family, itertools.count(1))
        return next(counter)  # next() on a count is atomic

    def token(self, name: str, length: int = 8) -> str:
        """A short hex token fixed by (seed, name), for when one draw is all that is needed."""
        return self._hash(name, (length + 1) // 2).hexdigest()[:length]

    def numbered_token(self, family: str, number: int, length: int = 8) -> str:
        """A hex token fixed by (seed, family, number), for events numbered in order (a gateway's request ids).
        The tokens of TOKEN_BLOCK consecutive numbers are the slices of one SHAKE-256 output."""
        block, index = divmod(number, TOKEN_BLOCK)
        return self._block_text(family, length, block)[index * length : (index + 1) * length]

    def _block_text(self, family: str, length: int, block: int) -> str:
        """The hex text of a block's tokens, the last block's kept per (family, length)."""
        found = self._token_blocks.get((family, length))
        if found is not None and found[0] == block:
            return found[1]
        text = hashlib.shake_256(f"{self.seed}:{family}:{block}".encode()).hexdigest(TOKEN_BLOCK * length // 2 + 1)
        self._token_blocks[family, length] = (block, text)
        return text

    def _hash(self, name: str, size: int) -> hashlib.blake2b:
        """BLAKE2b of `seed:name`."""
        return hashlib.blake2b(f"{self.seed}:{name}".encode(), digest_size=size)

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
            self._leases.clear()
            self._next_leases.clear()
            self._generation += 1
        if self.shared is not None:
            self.shared.reset_counters()


def random_uuid(rng: Draws) -> str:
    """A version-4 UUID made of 128 drawn bits, written as `crypto.randomUUID()` and Python's `uuid4()` write one."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def draw_between(rng: Draws, low: int, high: int) -> int:
    """`rng.randrange(low, high)` as `random.Random` draws it (the same bits, so the same number), for any `Draws`
    (a `Stream` has no `randrange`)."""
    width = high - low
    bits = width.bit_length()
    number = rng.getrandbits(bits)
    while number >= width:
        number = rng.getrandbits(bits)
    return low + number
