"""What a provider is given by the app, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mockserver.contracts.contract import Contract
from mockserver.core.clock import MockClock
from mockserver.core.randomness import RandomSource
from mockserver.engine import TaskEngine
from mockserver.gateways.kit.callbacks import Outbox
from mockserver.gateways.kit.routing import GatewayApp
from mockserver.media.signing import UrlSigner
from mockserver.scenarios import ScenarioLibrary


@dataclass(frozen=True)
class ProviderSettings:
    api_keys: frozenset[str] | None = None
    """Accepted keys; None accepts any non-empty key (the mock cannot know real ones)."""
    url_ttl: float | None = None
    """Result URL lifetime in seconds; None keeps the contract's documented default."""
    task_ttl: float | None = None
    timings: dict[str, Any] = field(default_factory=dict)
    """Step timings by state, overriding the provider's profile (see engine.timing.parse_timing)."""
    max_body_bytes: int = 16 * 1024 * 1024
    max_json_depth: int = 64
    max_image_pixels: int = 8192 * 8192
    max_prompt_chars: int = 10_000
    max_accounts: int = 10_000
    """What a gateway keeps per caller (jimeng2api's keys, tokens and credit accounts), each at most."""
    public_url: str | None = None
    """Base of the result URLs (scheme://host:port); None uses the address the client called."""
    callback_hosts: tuple[str, ...] = ("localhost", "127.0.0.0/8", "::1")
    """Where callbacks may be sent: host names and IP networks (`*`: anywhere); the server setting of that name."""
    options: dict[str, Any] = field(default_factory=dict)
    """The provider's own options from the config file (those its `options` attribute declares)."""

    def accepts(self, key: str) -> bool:
        """Whether a caller's key is accepted: a non-empty one that `api_keys` holds, or any when it is None."""
        return bool(key) and (self.api_keys is None or key in self.api_keys)


@dataclass(frozen=True)
class ProviderContext:
    provider_id: str
    engine: TaskEngine
    clock: MockClock
    randomness: RandomSource
    signer: UrlSigner
    contract: Contract
    settings: ProviderSettings
    scenarios: ScenarioLibrary
    callbacks: Outbox
    """The gateway's callbacks (tasks whose status changes are POSTed to a client's URL); the server sends them."""
    reset_hooks: list[Callable[[], None]] = field(default_factory=list)
    """State a provider keeps outside the task store (accounts, queues) registers here to be cleared on reset."""

    def reset(self) -> None:
        self.callbacks.reset()
        for hook in self.reset_hooks:
            hook()

    def lifetime(self, name: str, configured: float | None) -> float:
        """A lifetime from the settings, else the contract's `x-lifetimes` default."""
        if configured is not None:
            return configured
        return float(self.contract.extension("x-lifetimes")[name]["seconds"])


class Provider(Protocol):
    """A gateway. It may also declare `options`: {name: allowed values} it reads from the config file; an allowed
    value may be a type (`str`: any string)."""

    id: str
    contract: str

    def build(self, context: ProviderContext) -> GatewayApp: ...
