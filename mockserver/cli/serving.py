"""The socket `serve` binds and the uvicorn server behind it. The start banner is printed once the server
accepts connections, so a script that waits for it is never refused, and a port in use is found before
anything is built."""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from mockserver.server.http_limits import LimitedConfig
from mockserver.server.settings import Settings

LISTEN_BACKLOG = 2048
"""uvicorn's own default backlog."""
SOCKET_PER_WORKER = sys.platform == "linux"
"""Where the kernel spreads new connections evenly over the sockets that share a port (SO_REUSEPORT), each worker
listens on its own; elsewhere the workers share one, and the first to wake takes what is waiting."""
ANNOUNCE_WITHIN_SECONDS = 60.0
"""How long the start banner waits for a worker to listen."""


class ListenError(OSError):
    pass


def bind(host: str, port: int, *, workers: int = 1) -> socket.socket:
    """A socket bound to host:port, not yet listening: connections are refused until the server accepts them.
    For several workers that each listen on their own socket, the port is then held by a `WorkerSocket`: a port
    already in use is refused by the first bind, whoever holds it."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})") from None
    listener = socket.socket(family, kind, protocol)
    if os.name != "nt":  # elsewhere a restarted server may rebind a port whose old connections linger
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    _bind(listener, address, host, port)
    if workers > 1 and SOCKET_PER_WORKER:
        address = listener.getsockname()  # --port 0: the port it was given
        listener.close()
        listener = WorkerSocket(family, kind, protocol)
        # SO_REUSEPORT alone: with SO_REUSEADDR too, any server binding with SO_REUSEADDR could take the port
        # before the workers listen, as Linux lets such sockets share a port that nobody listens on yet
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        _bind(listener, address, host, port)
    else:
        listener.set_inheritable(True)  # --workers elsewhere: the worker processes serve this one socket
    return listener


def _bind(listener: socket.socket, address: Any, host: str, port: int) -> None:
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        raise cannot_listen(host, port, exc) from None


class WorkerSocket(socket.socket):
    """The port of several workers, held (bound, never listening) by the process that starts them. Handed to a
    worker process, it arrives as that worker's own listening socket on the same address (SO_REUSEPORT), so the
    kernel spreads new connections over the workers; on one shared socket, the worker that wakes first takes every
    connection waiting. Only processes of the same user can bind beside it."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_listening_beside, (self.family, self.type, self.proto, self.getsockname()))


def _listening_beside(family: int, kind: int, protocol: int, address: Any) -> socket.socket:
    listener = socket.socket(family, kind, protocol)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(address)
    listener.listen(LISTEN_BACKLOG)
    return listener


def cannot_listen(host: str, port: int, exc: OSError) -> ListenError:
    if exc.errno == errno.EADDRINUSE:
        return ListenError(
            f"cannot listen on {host}:{port}: the address is already in use "
            "(another server is running there: stop it or choose another --port)"
        )
    return ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _announce_once_listening(listener: socket.socket, announce: Callable[[], None]) -> None:
    """Announce once a worker listens on its own socket (one is enough: the kernel hands new connections only to
    sockets that listen), found by connecting to it."""
    host, port = listener.getsockname()[:2]
    unspecified = {"0.0.0.0": "127.0.0.1", "::": "::1"}
    address = (unspecified.get(host, host), port)
    for _ in range(int(ANNOUNCE_WITHIN_SECONDS / 0.01)):
        try:
            with socket.create_connection(address, timeout=1):
                announce()
                return
        except OSError:
            time.sleep(0.01)


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that calls `announce` once it accepts connections on its sockets."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self.announce()


def run_server(
    app: Any, settings: Settings, options: dict[str, Any], listener: socket.socket, announce: Callable[[], None]
) -> int:
    """uvicorn on `listener`, with the server's limits (`LimitedConfig`): one process, announced once it
    accepts; or `workers` processes, each on its own socket (`WorkerSocket`) announced once one of them listens,
    or all on the one socket, announced once it listens (connections made before a worker accepts wait in its
    backlog)."""
    config = LimitedConfig(app, settings, **options)
    if config.workers > 1 and isinstance(listener, WorkerSocket):
        announcing = threading.Thread(target=_announce_once_listening, args=(listener, announce), daemon=True)
        announcing.start()
        Multiprocess(config, sockets=[listener]).run()
        return 0
    if config.workers > 1:
        try:
            listener.listen(LISTEN_BACKLOG)
        except OSError as exc:  # another server bound the port too, and listened first
            listener.close()
            raise cannot_listen(settings.host, settings.port, exc) from None
        announce()
        Multiprocess(config, sockets=[listener]).run()
        return 0
    config.load_app()
    server = AnnouncingServer(config, announce)
    server.run(sockets=[listener])
    return 0 if server.started else 1
