"""Callbacks a gateway owes its clients: the tasks whose status changes are POSTed to a callback URL, and the
deliveries that are due on the mock's clock.

The gateway watches a task (`Outbox.watch`) with a renderer of its task object; the server's dispatcher
(`server/callbacks.py`) asks `due(now)` whenever the clock moves (or, on a flowing clock, from a background thread)
and sends what it returns, in order, then hands back what must be retried (`retry`). A task's status changes are
read from its schedule, so a change is dated when it happened on the clock, not when it was noticed.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from mockserver.engine import TaskEngine, TaskView
from mockserver.gateways.kit.http import dump_json
from mockserver.scenarios import CallbackScript

Renderer = Callable[[TaskView, str, float], Mapping[str, Any]]
"""The task object as the task was at a status it reached at an instant (unix seconds)."""


class Delivery(NamedTuple):
    """One POST of a task object to a callback URL."""

    due: float
    """The instant on the mock's clock from which it may be sent."""
    order: int
    """Ties broken in the order the deliveries were made."""
    provider: str
    task_id: str
    url: str
    status: str
    body: bytes
    final: bool
    attempt: int = 1


def allowed_address(url: str, hosts: Collection[str]) -> bool:
    """Whether `url`'s host is one `hosts` allows: a host name given exactly, an address within an IP network
    (`127.0.0.0/8`, `::1`), or anything with `*`. Names are not resolved: `localhost` is allowed by name."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # a port that is no number, or past 65535: nowhere to send
    except ValueError:
        return False
    if not host:
        return False
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for rule in hosts:
        if rule == "*" or rule.lower() == host:
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(rule, strict=False):
                    return True
            except ValueError:
                continue
    return False


def status_changes(view: TaskView) -> list[tuple[str, float]]:
    """The statuses a task has reached so far and the instant each began: one per change, the last its current
    one. A step ended by polls is dated when the read that saw its end was made (`view.now`)."""
    task = view.task
    start = task.created_at + task.status_lag
    changes: list[tuple[str, float]] = []
    began = start
    for phase in task.schedule.phases:
        if not changes or changes[-1][0] != phase.state:
            changes.append((phase.state, began))
        if phase.state == view.state and not view.terminal:
            return changes
        began = start + phase.until_seconds if phase.until_seconds is not None else view.now
    if view.terminal:
        ended = task.finished_at if task.finished_at is not None else began
        changes.append((view.state, ended))
    return changes


@dataclass(slots=True)
class _Watch:
    url: str
    render: Renderer
    statuses: Collection[str]
    final: Collection[str]
    script: CallbackScript
    reached: int = 0
    """How many of the task's status changes have been turned into deliveries."""
    held: list[Delivery] = field(default_factory=list)
    """Deliveries an out-of-order script holds back until a later status is reached."""


class Outbox:
    """One gateway's callbacks: watched tasks, and deliveries waiting for their instant."""

    def __init__(self, provider: str, engine: TaskEngine) -> None:
        self.provider = provider
        self.engine = engine
        self._watches: dict[str, _Watch] = {}
        self._pending: list[Delivery] = []
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self.on_watch: Callable[[], None] | None = None
        """Called when a task is first watched (the dispatcher starts its background thread then)."""
        self.on_poll_change: Callable[[], None] | None = None
        """Called when a poll ends a watched task's step (the dispatcher sends what that made due, clock moved or
        not)."""

    def watch(
        self,
        task_id: str,
        url: str,
        render: Renderer,
        *,
        statuses: Collection[str],
        final: Collection[str],
        script: CallbackScript,
    ) -> None:
        """Send the task's changes to one of `statuses` to `url`; a change to one of `final` is its last."""
        with self._lock:
            self._watches[task_id] = _Watch(url, render, frozenset(statuses), frozenset(final), script)
        if self.on_watch is not None:
            self.on_watch()

    def forget(self, task_id: str) -> None:
        """Stop watching a task (a client deleted it): nothing more is sent for it, not even what is waiting."""
        with self._lock:
            self._watches.pop(task_id, None)
            self._pending = [d for d in self._pending if d.task_id != task_id]
            heapq.heapify(self._pending)

    def polled(self, view: TaskView) -> None:
        """A poll has read the task: if that poll ended one of its steps (a step ended by polls) and the task is
        watched, the change is due now, on a virtual clock that does not move too."""
        if view.task.id not in self._watches or self.on_poll_change is None:
            return
        if any(phase.until_polls == view.task.polls for phase in view.task.schedule.phases):
            self.on_poll_change()

    @property
    def idle(self) -> bool:
        return not self._watches and not self._pending

    def due(self, now: float) -> list[Delivery]:
        """The deliveries to send now, in the order to send them."""
        if self.idle:
            return []
        with self._lock:
            watched = list(self._watches.items())
        # read outside the lock: a gateway watching a new task must not wait on the store (a shared one answers
        # over the network)
        views = [(task_id, watch, self.engine.peek(task_id, self.provider)) for task_id, watch in watched]
        with self._lock:
            for task_id, watch, view in views:
                if self._watches.get(task_id) is not watch:
                    continue  # forgotten (or watched anew) while it was read
                if view is None or view.terminal:
                    del self._watches[task_id]
                if view is not None:
                    self._reach(task_id, watch, view)
            ready = []
            while self._pending and self._pending[0].due <= now:
                ready.append(heapq.heappop(self._pending))
            return ready

    def _reach(self, task_id: str, watch: _Watch, view: TaskView) -> None:
        changes = status_changes(view)
        for status, at in changes[watch.reached :]:
            if status not in watch.statuses:
                continue
            final = status in watch.final
            body = dump_json(dict(watch.render(view, status, at)))
            script = watch.script
            for _ in range(1 + script.duplicates):
                number = next(self._numbers)
                delivery = Delivery(at + script.delay, number, self.provider, task_id, watch.url, status, body, final)
                watch.held.append(delivery)
            if not script.out_of_order or final or len({d.status for d in watch.held}) > 1:
                self._release(watch)
        watch.reached = len(changes)

    def _release(self, watch: _Watch) -> None:
        """Queue the held deliveries: in order, or (out of order) the newest status first, all at its instant."""
        held, watch.held = watch.held, []
        if watch.script.out_of_order and len(held) > 1:
            latest = max(d.due for d in held)
            held = [d._replace(due=latest, order=next(self._numbers)) for d in reversed(held)]
        for delivery in held:
            heapq.heappush(self._pending, delivery)

    def retry(self, delivery: Delivery, at: float) -> None:
        """Send a delivery again from `at` (its attempt counted)."""
        with self._lock:
            again = delivery._replace(due=at, order=next(self._numbers), attempt=delivery.attempt + 1)
            heapq.heappush(self._pending, again)

    def reset(self) -> None:
        with self._lock:
            self._watches.clear()
            self._pending.clear()
