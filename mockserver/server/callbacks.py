"""Sends the callbacks the gateways owe (`kit.callbacks.Outbox`): the one thing the mock sends out.

Deliveries go out when they are due on the mock's clock: when the clock is advanced or set (before that call
returns), and from a background thread every `callback_interval` seconds on a flowing clock or a shared one (another
worker or instance may have moved it: each sends the callbacks of the tasks it created). Each is a POST of
the task object, answered in full within `callback_timeout` seconds or counted as failed (a receiver that answers a
byte at a time is cut off then too); of the answer, only what the journal keeps is read. A final status not answered
2xx is retried (the gateway's contract says how often and when). Only addresses the `callback_hosts` setting allows are
called. Deliveries of different tasks go out side by side (`PARALLEL_TASKS`), each task's in its order. The journal
records every delivery with the answer it got (status 0 when none came).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from mockserver.core.clock import MockClock, stopwatch
from mockserver.gateways.kit.callbacks import Delivery, Outbox, allowed_address
from mockserver.server.exchange import KEPT, Exchange, kept
from mockserver.server.journal import Journal

USER_AGENT = b"jimeng-mock-callback/1"
PARALLEL_TASKS = 16
"""Tasks whose due deliveries go out at the same time, each task's in its order: receivers that hang hold a clock
move for `callback_timeout` per round of this many tasks, not per delivery."""
log = logging.getLogger("jimeng_mock")


class CallbackDispatcher:
    def __init__(
        self,
        outboxes: Mapping[str, Outbox],
        clock: MockClock,
        journal: Journal,
        *,
        hosts: tuple[str, ...],
        timeout: float,
        interval: float,
        retries: Mapping[str, tuple[int, float]],
    ) -> None:
        """`retries`: per gateway, how many times a final delivery is retried and how long after a failure."""
        self.outboxes = outboxes
        self.clock = clock
        self.journal = journal
        self.hosts, self.timeout, self.interval = hosts, timeout, interval
        self.retries = retries
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        """Set to send what is due now, without waiting for the interval, on any clock."""
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        """Made at the first delivery (an HTTP client builds its TLS context), kept for the next ones."""
        self._senders: ThreadPoolExecutor | None = None
        for outbox in outboxes.values():
            outbox.on_watch = self.start
            outbox.on_poll_change = self.wake
        clock.listeners.append(self.deliver_due)

    def deliver_due(self) -> int:
        """Send every delivery now due, in order; the number sent."""
        if all(outbox.idle for outbox in self.outboxes.values()):
            return 0
        sent = 0
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self.timeout,
                    follow_redirects=False,
                    trust_env=False,
                    limits=httpx.Limits(max_keepalive_connections=0),  # each delivery's own socket, to cut off
                )
            if self._senders is None:
                self._senders = ThreadPoolExecutor(PARALLEL_TASKS, thread_name_prefix="jimeng-mock-callback")
            client, senders = self._client, self._senders
            for provider, outbox in self.outboxes.items():
                times, after = self.retries.get(provider, (0, 0.0))
                while due := outbox.due(self.clock.now()):
                    by_task: dict[str, list[Delivery]] = {}
                    for delivery in due:
                        by_task.setdefault(delivery.task_id, []).append(delivery)
                    for failed in senders.map(lambda in_order: self._send_in_order(client, in_order), by_task.values()):
                        for delivery in failed:
                            if delivery.final and delivery.attempt <= times:
                                outbox.retry(delivery, delivery.due + after)  # a clock moved far sends them all
                    sent += len(due)
        return sent

    def _send_in_order(self, client: httpx.Client, deliveries: list[Delivery]) -> list[Delivery]:
        """One task's deliveries, one after the other; those not answered 2xx."""
        return [delivery for delivery in deliveries if not self._send(client, delivery)]

    def _send(self, client: httpx.Client, delivery: Delivery) -> bool:
        """POST one delivery and journal it; whether the receiver answered 2xx."""
        headers = [(b"content-type", b"application/json"), (b"user-agent", USER_AGENT)]
        status, answer_headers, answer = 0, [(b"content-type", b"text/plain")], b""
        elapsed = stopwatch()
        if not allowed_address(delivery.url, self.hosts):
            answer = b"not sent: the callback_hosts setting does not allow this address"
        else:
            try:
                status, answer_headers, answer = self._post(client, delivery.url, delivery.body, headers)
            except httpx.TimeoutException:
                answer = f"no answer within {self.timeout:g} s (callback_timeout)".encode()
            except httpx.HTTPError as exc:
                answer = f"not delivered: {exc.__class__.__name__}: {exc}".encode()
        self.journal.add(
            Exchange(
                self.clock.now(),
                delivery.provider,
                "POST",
                delivery.url,
                b"",
                headers,
                kept(delivery.body),
                status,
                answer_headers,
                kept(answer),
                delivery.task_id,
                latency=elapsed(),
            )
        )
        return 200 <= status < 300

    def _post(
        self, client: httpx.Client, url: str, body: bytes, headers: list[tuple[bytes, bytes]]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """One POST, over within `timeout` seconds however slowly the receiver answers (its socket is shut then),
        reading no more of the answer than the journal keeps."""
        sockets: list[socket.socket] = []
        expired = threading.Event()

        def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.complete":
                sockets.append(info["return_value"].get_extra_info("socket"))

        def cut_off() -> None:
            expired.set()
            for sock in sockets:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(self.timeout, cut_off)
        watchdog.start()
        try:
            extensions = {"trace": trace}
            request = client.build_request("POST", url, content=body, headers=dict(headers), extensions=extensions)
            response = client.send(request, stream=True)
            try:
                answer = bytearray()
                for chunk in response.iter_bytes():
                    answer += chunk
                    if len(answer) >= KEPT:
                        break
            finally:
                response.close()
            return response.status_code, list(response.headers.raw), bytes(answer)
        except httpx.HTTPError:
            if expired.is_set():
                raise httpx.ReadTimeout("cut off at callback_timeout") from None
            raise
        finally:
            watchdog.cancel()

    def start(self) -> None:
        """Start the background thread (once): it sends what falls due while the clock flows."""
        if self._thread is not None:
            return
        with self._starting:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="jimeng-mock-callbacks", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Send what is due now from the background thread (a poll has ended a watched task's step)."""
        self.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not woken and self.clock.mode == "virtual" and not self.clock.shared:
                continue  # a virtual clock sends as it is moved (a shared one may be moved by another worker)
            try:
                self.deliver_due()
            except Exception:  # the loop outlives a bad delivery; the failure goes to the log
                log.exception("jimeng-mock: sending callbacks failed")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.interval + self.timeout + 1)
        if self.deliver_due in self.clock.listeners:
            self.clock.listeners.remove(self.deliver_due)
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._senders is not None:
                self._senders.shutdown(wait=True)
                self._senders = None
