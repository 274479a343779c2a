"""One package per gateway. Each exposes `provider`, whose `build(context)` returns the gateway's ASGI app."""

from __future__ import annotations

import importlib

from mockserver.gateways.kit.base import Provider, ProviderContext, ProviderSettings

PROVIDER_IDS: tuple[str, ...] = ("crazyrouter", "octopusx", "gptge", "jimeng2api", "jimmyai", "volcengine", "ark")


class UnknownProvider(ValueError):
    pass


def load_provider(provider_id: str) -> Provider:
    if provider_id not in PROVIDER_IDS:
        raise UnknownProvider(f"unknown provider {provider_id!r}: choose from {', '.join(PROVIDER_IDS)}")
    module = importlib.import_module(f"mockserver.gateways.{provider_id}")
    provider: Provider = module.provider
    return provider


__all__ = ["PROVIDER_IDS", "Provider", "ProviderContext", "ProviderSettings", "UnknownProvider", "load_provider"]
