from __future__ import annotations

from mockserver.gateways.kit.base import ProviderSettings


def test_any_non_empty_key_is_accepted_when_no_keys_are_set() -> None:
    settings = ProviderSettings()
    assert settings.accepts("sk-anything")
    assert not settings.accepts("")


def test_only_the_set_keys_are_accepted() -> None:
    settings = ProviderSettings(api_keys=frozenset({"sk-good"}))
    assert settings.accepts("sk-good")
    assert not settings.accepts("sk-other")
    assert not settings.accepts("")
