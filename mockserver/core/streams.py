"""A seeded stream of random draws: BLAKE2b of its key in counter mode.

Every submit starts one (a task's own stream) and makes a handful of draws from it: its step lengths, its id,
its seed. The stream is part of the mock's behaviour: a seed's task ids come from it, so changing how it draws
changes every id (PERFORMANCE.md says why it is not a `random.Random`).
"""

from __future__ import annotations

import hashlib
import math
import struct
from typing import Protocol

_WORDS = struct.Struct("<8Q")
"""A 64-byte BLAKE2b digest as eight 64-bit words."""
_UNIT = 2.0**-53
_TAU_UNIT = math.tau * _UNIT


class Draws(Protocol):
    """What code that draws asks of a generator: a `Stream`, or a `random.Random` (which tests hand in)."""

    def random(self) -> float: ...

    def getrandbits(self, k: int, /) -> int: ...

    def uniform(self, a: float, b: float) -> float: ...

    def lognormvariate(self, mu: float, sigma: float) -> float: ...


class Stream:
    """Draws fixed by `key`: the same key gives the same sequence, in any process, on any machine. Each draw takes
    whole words from the sequence (53 bits make a uniform draw, as in `random.Random`)."""

    __slots__ = ("_block", "_key", "_words")

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._block = 0
        self._words: list[int] = list(_WORDS.unpack(hashlib.blake2b(key).digest()))  # drawn with pop(), from the end

    def _refill(self, wanted: int = 1) -> list[int]:
        """The words left, with more blocks before them until there are `wanted`."""
        while len(self._words) < wanted:
            self._block += 1
            self._words = list(_WORDS.unpack(hashlib.blake2b(b"%s#%d" % (self._key, self._block)).digest())) + (
                self._words
            )
        return self._words

    def random(self) -> float:
        """A uniform draw in [0, 1)."""
        words = self._words or self._refill()
        return (words.pop() >> 11) * _UNIT

    def getrandbits(self, k: int, /) -> int:
        """A number of `k` random bits, as `random.Random.getrandbits`."""
        words = self._words
        if 0 < k <= 64:
            return (words or self._refill()).pop() >> (64 - k)
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        count = -(-k // 64)
        if len(words) < count:
            words = self._refill(count)
        value = 0
        for _ in range(count):
            value = value << 64 | words.pop()
        return value >> (-k % 64)

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def lognormvariate(self, mu: float, sigma: float) -> float:
        """exp of a normal draw made by Box-Muller from two words (no rejection loop, so always two)."""
        words = self._words if len(self._words) >= 2 else self._refill(2)
        radius = math.sqrt(-2.0 * math.log(1.0 - (words.pop() >> 11) * _UNIT))
        return math.exp(mu + sigma * radius * math.cos((words.pop() >> 11) * _TAU_UNIT))
