"""The live state of one mock: clock, random source, engine, journal and provider contexts, built from Settings."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mockserver.cassettes import Cassette, Interaction, redact_body, redact_headers, redact_query
from mockserver.contracts.contract import ContractError, load_contract
from mockserver.core.clock import MockClock
from mockserver.core.randomness import RandomSource
from mockserver.engine import MemoryStore, TaskEngine, TaskStore, run_here
from mockserver.gateways import ProviderContext, load_provider
from mockserver.gateways.kit.callbacks import Outbox
from mockserver.media.signing import UrlSigner
from mockserver.scenarios import ScenarioFileError, ScenarioLibrary, UnknownScenario
from mockserver.server.callbacks import CallbackDispatcher
from mockserver.server.journal import Journal, JournalEntry
from mockserver.server.settings import Settings, SettingsError
from mockserver.stores import StoreError, open_store


class MockRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        try:
            self.shared = open_store(settings.store, settings.store_threads)
        except StoreError as exc:
            raise SettingsError(str(exc)) from None
        self.clock = MockClock(
            settings.clock,
            time_scale=settings.time_scale,
            start=settings.start_time,
            shared=self.shared,
            bounds=settings.clock_bounds,
        )
        self.randomness = RandomSource(settings.seed, self.shared)
        self.store: TaskStore = MemoryStore() if self.shared is None else self.shared
        self.offload = run_here if self.shared is None else self.shared.offload
        """Where a request's store calls run: in place (memory), or in the shared store's threads."""
        self.engine = TaskEngine(
            self.store, self.clock, self.randomness, max_tasks=settings.max_tasks, offload=self.offload
        )
        self.journal = Journal(settings.journal_size, self.shared)
        try:
            self.scenarios = ScenarioLibrary.load(
                [Path(p) for p in settings.scenario_paths],
                settings.scenario,
                settings.scenario_keys,
                max_bytes=settings.max_scenario_bytes,
            )
        except (ScenarioFileError, UnknownScenario) as exc:
            raise SettingsError(str(exc)) from None
        self.signer = UrlSigner(self._media_key())
        try:
            contracts = {pid: load_contract(load_provider(pid).contract) for pid in settings.providers}
        except ContractError as exc:
            raise SettingsError(str(exc)) from None
        self.contexts = {
            provider_id: ProviderContext(
                provider_id=provider_id,
                engine=self.engine,
                clock=self.clock,
                randomness=self.randomness,
                signer=self.signer,
                contract=contracts[provider_id],
                settings=settings.for_provider(provider_id),
                scenarios=self.scenarios,
                callbacks=Outbox(provider_id, self.engine),
            )
            for provider_id in settings.providers
        }
        self.callbacks = CallbackDispatcher(
            {pid: context.callbacks for pid, context in self.contexts.items()},
            self.clock,
            self.journal,
            hosts=settings.callback_hosts,
            timeout=settings.callback_timeout,
            interval=settings.callback_interval,
            retries={pid: _retries(contracts[pid].document) for pid in settings.providers},
        )

    def _media_key(self) -> bytes:
        """The configured `media_secret`; else a random key, made at this start or, with a shared store, by the
        first instance that started on it (so any instance serves any URL)."""
        if self.settings.media_secret is not None:
            return self.settings.media_secret.encode()
        key = secrets.token_hex(32)
        return (key if self.shared is None else self.shared.media_key(key)).encode()

    def cassette(self, entries: Iterable[JournalEntry] | None = None) -> Cassette:
        """The journal (or those of its `entries`) as a cassette, secrets redacted: every exchange captured whole
        (media downloads and bodies over the journal's limit are left out), with the seed and each task's
        scenario."""
        interactions = [
            Interaction(
                e.time,
                e.method,
                e.path,
                redact_query(e.query),
                redact_headers(e.request_headers.items()),
                redact_body(e.request_body.encode()),
                e.status,
                redact_headers(e.response_headers.items()),
                redact_body(e.response_body.encode()),
            )
            for e in (self.journal.entries() if entries is None else entries)
            if e.complete and e.path.startswith("/")  # not the callbacks the mock sent out
        ]
        scenarios = {view.task.id: view.task.scenario for view in self.engine.tasks()}
        return Cassette(interactions, self.settings.seed, scenarios, source="jimeng-mock journal")

    def close(self) -> None:
        """Stop sending callbacks, flush and let go of a shared store (graceful shutdown)."""
        self.callbacks.stop()
        if self.shared is not None:
            self.shared.close()

    def reset(self) -> None:
        """Drop every task and journal entry, restart the random streams, put the clock back and restore
        the default scenario."""
        self.engine.reset()
        self.journal.clear()
        self.clock.reset()
        self.scenarios.reset()
        for context in self.contexts.values():
            context.reset()


def _retries(contract: Mapping[str, Any]) -> tuple[int, float]:
    """How many times a gateway's final callback is retried and how long after a failure (`x-callbacks`)."""
    callbacks = contract.get("x-callbacks")
    if callbacks is None:
        return 0, 0.0
    return int(callbacks["retries"]), float(contract["x-lifetimes"]["callback_answer"]["seconds"])
