"""The scenarios a mock knows, and which one a submit gets: the `X-Mock-Scenario` header, else a
`[[mock:name]]` tag in the prompt (removed from the prompt), else the API key's mapping, else the default."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mockserver.scenarios.loader import MAX_SCENARIO_BYTES, load_bundled, load_directory
from mockserver.scenarios.model import DEFAULT, Scenario

SCENARIO_HEADER = "x-mock-scenario"
_TAG = re.compile(r"\s*\[\[mock:([A-Za-z0-9_.\-]+)\]\]\s*")
_TAG_OPENER = "[[mock:"  # no tag without it: most prompts skip the regex, whose leading \s* tries every offset


class UnknownScenario(LookupError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Selection:
    scenario: Scenario
    prompt: str | None
    """The prompt with any scenario tag removed (None when the request had none)."""


class ScenarioLibrary:
    def __init__(
        self, scenarios: Iterable[Scenario] = (), default: str = "default", by_key: Mapping[str, str] | None = None
    ) -> None:
        self._scenarios = {DEFAULT.name: DEFAULT}
        self._lock = threading.Lock()
        for scenario in scenarios:
            self._scenarios[scenario.name] = scenario
        self._initial_default = default
        self.by_key = dict(by_key or {})
        for name in (default, *self.by_key.values()):
            self.get(name)
        self.default = default

    @classmethod
    def load(
        cls,
        directories: Iterable[Path] = (),
        default: str = "default",
        by_key: Mapping[str, str] | None = None,
        max_bytes: int = MAX_SCENARIO_BYTES,
    ) -> ScenarioLibrary:
        """The shipped scenarios and those in `directories` (each of their files at most `max_bytes`)."""
        found = load_bundled()
        for directory in directories:
            found += load_directory(directory, max_bytes)
        return cls(found, default, by_key)

    def get(self, name: str) -> Scenario:
        try:
            return self._scenarios[name]
        except KeyError:
            raise UnknownScenario(f"unknown mock scenario {name!r}; known: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._scenarios)

    def all(self) -> list[Scenario]:
        return [self._scenarios[name] for name in self.names()]

    def register(self, scenario: Scenario) -> None:
        with self._lock:
            self._scenarios[scenario.name] = scenario

    def use(self, name: str) -> None:
        """Make `name` the default for tasks submitted from now on."""
        self.get(name)
        self.default = name

    def reset(self) -> None:
        self.default = self._initial_default

    def select(self, provider: str, header: str | None, prompt: str | None, api_key: str | None) -> Selection:
        tagged = _TAG.search(prompt) if prompt and _TAG_OPENER in prompt else None
        cleaned = _TAG.sub(" ", prompt).strip() if prompt and tagged else prompt
        if header:
            chosen, how = self.get(header.strip()), "X-Mock-Scenario"
        elif tagged:
            chosen, how = self.get(tagged.group(1)), "the prompt tag"
        elif api_key is not None and api_key in self.by_key:
            chosen, how = self.get(self.by_key[api_key]), "the API key"
        else:
            default = self.get(self.default)
            return Selection(default if default.applies_to(provider) else DEFAULT, cleaned)
        if not chosen.applies_to(provider):
            raise UnknownScenario(f"mock scenario {chosen.name!r} (from {how}) does not apply to {provider}")
        return Selection(chosen, cleaned)
