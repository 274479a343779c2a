"""The one seeded random source.

Each consumer asks for a named stream; a stream's sequence depends only on the seed and its name,
so one task's draws do not shift when another task is added or removed.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from mockserver.core.streams import Draws, Stream


class Counters(Protocol):
    """Numbered-stream counters kept where several processes can share them (a store)."""

    def next_number(self, family: str) -> int: ...

    def reset_counters(self) -> None: ...


TOKEN_BLOCK = 128
Derived = TypeVar("Derived")


class RandomSource:
    """With `shared` counters, every process using the same store numbers its streams from one sequence, so the
    n-th task is the n-th task whichever worker takes it. `local_number` stays per process."""

    def __init__(self, seed: int, shared: Counters | None = None) -> None:
        self.seed = seed
        self.shared = shared
        self._counters: dict[str, Iterator[int]] = {}
        self._prefixes: dict[int, hashlib.blake2b] = {}
        self._token_blocks: dict[tuple[str, int], tuple[int, str]] = {}
        self._derived_blocks: dict[tuple[str, int, Callable[[str], object]], tuple[int, object]] = {}
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

    def local_number(self, family: str) -> int:
        """The next number of a family counted in this process only (state each process rebuilds itself)."""
        counter = self._counters.get(family)
        if counter is None:
            with self._lock:
                counter = self._counters.setdefault(family, itertools.count(1))
        return next(counter)  # atomic: no lock on the way of every request

    def token(self, name: str, length: int = 8) -> str:
        """A short hex token fixed by (seed, name), cheaper than a stream when one draw is all that is needed."""
        return self._hash(name, (length + 1) // 2).hexdigest()[:length]

    def numbered_token(self, family: str, number: int, length: int = 8) -> str:
        """A hex token fixed by (seed, family, number), for events numbered in order (a gateway's request ids):
        one SHAKE-256 output holds the tokens of TOKEN_BLOCK numbers, so most tokens cost a slice, not a hash."""
        block, index = divmod(number, TOKEN_BLOCK)
        found = self._token_blocks.get((family, length))
        text = found[1] if found is not None and found[0] == block else self._block_text(family, length, block)
        return text[index * length : (index + 1) * length]

    def numbered_block(
        self, family: str, number: int, length: int, derive: Callable[[str], Derived]
    ) -> tuple[Derived, int]:
        """`derive` applied to the tokens of `number`'s whole block (the hex text `numbered_token` slices), kept
        until a number of another block is asked for; and the number's place in the block. Values made from
        every token of a block in one go (ready-made answer fields) cost a lookup per number, not their making."""
        block, index = divmod(number, TOKEN_BLOCK)
        key = (family, length, derive)
        found = self._derived_blocks.get(key)
        if found is None or found[0] != block:
            found = self._derived_blocks[key] = (block, derive(self._block_text(family, length, block)))
        return found[1], index  # type: ignore[return-value]  # stored under its own `derive`

    def _block_text(self, family: str, length: int, block: int) -> str:
        """The hex text of a block's tokens, the last block's kept per (family, length)."""
        found = self._token_blocks.get((family, length))
        if found is not None and found[0] == block:
            return found[1]
        text = hashlib.shake_256(f"{self.seed}:{family}:{block}".encode()).hexdigest(TOKEN_BLOCK * length // 2 + 1)
        self._token_blocks[family, length] = (block, text)
        return text

    def unit(self, name: str) -> float:
        """A number in (0, 1) fixed by (seed, name): one uniform draw without seeding a generator (which costs
        ten times more)."""
        return (int.from_bytes(self._hash(name, 8).digest(), "big") + 0.5) / 2**64

    def _hash(self, name: str, size: int) -> hashlib.blake2b:
        """BLAKE2b of `seed:name`, from the hashed `seed:` prefix kept per digest size."""
        prefix = self._prefixes.get(size)
        if prefix is None:
            prefix = self._prefixes[size] = hashlib.blake2b(f"{self.seed}:".encode(), digest_size=size)
        digest = prefix.copy()
        digest.update(name.encode())
        return digest

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
        if self.shared is not None:
            self.shared.reset_counters()


def draw_between(rng: Draws, low: int, high: int) -> int:
    """`rng.randrange(low, high)` as `random.Random` draws it (the same bits, so the same number) without its layers
    of Python calls: task ids are drawn on every submit."""
    width = high - low
    bits = width.bit_length()
    number = rng.getrandbits(bits)
    while number >= width:
        number = rng.getrandbits(bits)
    return low + number
