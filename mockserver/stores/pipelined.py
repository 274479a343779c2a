"""One connection to Redis per event loop, shared by every request the loop serves: the commands sent while the loop
runs one round of callbacks go out in one write, and the replies that arrive together are read in one go (RESP,
parsed by hiredis). A request awaits only its own reply; the loop serves others meanwhile."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections import deque
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import hiredis

from mockserver.engine.store import StoreUnavailable


@functools.cache
def _digest(source: str) -> bytes:
    """The name Redis knows a script by (EVALSHA)."""
    return hashlib.sha1(source.encode()).hexdigest().encode()


Command = tuple[bytes | str | int | float, ...]


def evalsha(source: str, keys: Sequence[str], args: Sequence[bytes | str | int | float]) -> Command:
    """The command that runs a script by its digest (in a `transaction`, which loads it first)."""
    return (b"EVALSHA", _digest(source), len(keys), *keys, *args)


class ReplyError(Exception):
    """Redis answered a command with an error."""


def encode(*args: bytes | str | int | float) -> bytes:
    """A command in RESP: an array of bulk strings."""
    packed: bytes = hiredis.pack_command(args)  # type: ignore[arg-type]  # its stub reads the tuple as one item long
    return packed


MULTI, EXEC = encode(b"MULTI"), encode(b"EXEC")


def _forgotten(reply: Any) -> bool:
    return isinstance(reply, ReplyError) and str(reply).startswith("NOSCRIPT")


class _Protocol(asyncio.Protocol):
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader(replyError=ReplyError)
        self.waiting: deque[tuple[asyncio.Future[Any], bool]] = deque()
        """A future for each reply awaited, with whether it is the last reply its future waits for."""
        self.outgoing: list[bytes] = []
        self.lost: BaseException | None = None
        self.watched: tuple[asyncio.Future[Any], bool] | None = None
        """The oldest command in flight when the watchdog last looked (None: it is not looking)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def send(self, command: bytes, replies: int = 1) -> asyncio.Future[Any]:
        """Send `command` (RESP: one command, or several written together); the future holds the last of its
        `replies`, the others are read and dropped."""
        future = asyncio.get_running_loop().create_future()
        if self.lost is not None or self.transport is None:
            future.set_exception(StoreUnavailable(f"the Redis store did not answer: {self.lost}"))
            return future
        if not self.outgoing:
            asyncio.get_running_loop().call_soon(self.flush)
        self.outgoing.append(command)
        self.waiting.extend((future, n == replies - 1) for n in range(replies))
        if self.watched is None:
            self.watch()
        return future

    def watch(self) -> None:
        """Every `timeout` seconds while commands are in flight: if the oldest is the one seen last time, Redis
        has answered nothing since, and the connection is dropped (its commands fail, the next one reconnects)."""
        if not self.waiting:
            self.watched = None
            return
        if self.waiting[0] is self.watched and self.transport is not None:
            self.connection_lost(TimeoutError(f"no answer within {self.timeout:g} s"))
            self.transport.abort()
            self.watched = None
            return
        self.watched = self.waiting[0]
        asyncio.get_running_loop().call_later(self.timeout, self.watch)

    def flush(self) -> None:
        if self.outgoing and self.transport is not None and self.lost is None:
            self.transport.write(b"".join(self.outgoing))
        self.outgoing.clear()

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            future, last = self.waiting.popleft()
            if not last or future.done():
                continue  # a reply within a transaction, or its request was cancelled (the client went away)
            if isinstance(reply, ReplyError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = self.lost or exc or ConnectionError("the connection was closed")
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(StoreUnavailable(f"the Redis store did not answer: {self.lost}"))


class PipelinedRedis:
    """`await client.call(...)` and `await client.script(...)` from any request of the loop it was first used
    on; a lost connection fails the commands in flight (StoreUnavailable) and the next command reconnects."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self.path = unquote(parts.path) if parts.scheme == "unix" else None
        self.ssl = parts.scheme == "rediss"
        self.database = 0 if parts.scheme == "unix" else int(parts.path.strip("/") or 0)
        self.username, self.password = unquote(parts.username or ""), unquote(parts.password or "")
        self.timeout = timeout
        self._protocol: _Protocol | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connecting = asyncio.Lock()
        self._known_scripts: set[bytes] = set()

    async def _connected(self) -> _Protocol:
        protocol, loop = self._protocol, asyncio.get_running_loop()
        if protocol is not None and protocol.lost is None and self._loop is loop:
            return protocol
        if self._loop is not loop:  # the first loop, or another one (a test's): a connection of its own
            self._loop, self._protocol, self._connecting = loop, None, asyncio.Lock()
        async with self._connecting:
            if self._protocol is None or self._protocol.lost is not None:
                self._protocol = await self._connect()
            return self._protocol

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        try:
            if self.path is not None:
                opening = loop.create_unix_connection(lambda: _Protocol(self.timeout), self.path)
            else:
                opening = loop.create_connection(
                    lambda: _Protocol(self.timeout), self.host, self.port, ssl=self.ssl or None
                )
            _, protocol = await asyncio.wait_for(opening, self.timeout)
        except (OSError, TimeoutError) as exc:
            raise StoreUnavailable(f"the Redis store did not answer: {exc!r}") from None
        greeting: list[tuple[str | int, ...]] = []
        if self.password:
            greeting.append(("AUTH", self.username, self.password) if self.username else ("AUTH", self.password))
        if self.database:
            greeting.append(("SELECT", self.database))
        for command in greeting:
            await protocol.send(encode(*command))
        self._known_scripts.clear()  # a restarted Redis has forgotten them
        return protocol

    async def call(self, *args: bytes | str | int | float) -> Any:
        protocol = await self._connected()
        return await protocol.send(encode(*args))

    async def script(self, source: str, keys: list[str], args: list[Any]) -> Any:
        """Run a Lua script: by its digest once Redis has it, else by its text (which Redis then keeps)."""
        digest = _digest(source)
        if digest in self._known_scripts:
            try:
                return await self.call(b"EVALSHA", digest, len(keys), *keys, *args)
            except ReplyError as exc:
                if not str(exc).startswith("NOSCRIPT"):
                    raise
        reply = await self.call(b"EVAL", source, len(keys), *keys, *args)
        self._known_scripts.add(digest)
        return reply

    async def transaction(self, *commands: Command, scripts: Sequence[str] = ()) -> list[Any]:
        """Run `commands` between MULTI and EXEC, sent in one write: Redis runs them one after another with no
        other client's command between them. `scripts` are the sources of the scripts they run (`evalsha`),
        loaded first when this connection has not loaded them yet. Their replies, in order.

        A script Redis has forgotten (`SCRIPT FLUSH`) fails alone, the other commands run: the transaction is
        sent once more with its scripts loaded, so a transaction with a script must be safe to run again."""
        replies = await self._transaction(commands, scripts)
        if scripts and any(_forgotten(reply) for reply in replies):
            self._known_scripts.clear()
            replies = await self._transaction(commands, scripts)
        for reply in replies:
            if isinstance(reply, ReplyError):
                raise reply
        return replies

    async def _transaction(self, commands: Sequence[Command], scripts: Sequence[str]) -> list[Any]:
        protocol = await self._connected()
        loading = [source for source in scripts if _digest(source) not in self._known_scripts]
        block = [encode(b"SCRIPT", b"LOAD", source) for source in loading]
        block += [MULTI, *(encode(*command) for command in commands), EXEC]
        replies: list[Any] = await protocol.send(b"".join(block), replies=len(block))
        self._known_scripts.update(_digest(source) for source in loading)
        return replies

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
