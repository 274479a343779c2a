"""The socket `serve` binds and the uvicorn server behind it. The start banner is printed once the server
accepts connections, so a script that waits for it is never refused, and a port in use is found before
anything is built."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from mockserver.server.http_limits import LimitedConfig
from mockserver.server.settings import Settings

LISTEN_BACKLOG = 2048
"""uvicorn's own default backlog."""


class ListenError(OSError):
    pass


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, not yet listening: connections are refused until the server accepts them."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})") from None
    listener = socket.socket(family, kind, protocol)
    try:
        if os.name != "nt":  # elsewhere a restarted server may rebind a port whose old connections linger
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as exc:
        listener.close()
        raise cannot_listen(host, port, exc) from None
    listener.set_inheritable(True)  # --workers: the worker processes serve this one socket
    return listener


def cannot_listen(host: str, port: int, exc: OSError) -> ListenError:
    if exc.errno == errno.EADDRINUSE:
        return ListenError(
            f"cannot listen on {host}:{port}: the address is already in use "
            "(another server is running there: stop it or choose another --port)"
        )
    return ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


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
    accepts; or `workers` processes behind the socket, announced once it listens (connections made before a
    worker accepts wait in its backlog)."""
    config = LimitedConfig(app, settings, **options)
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
