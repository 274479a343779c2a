"""Scenarios: scripted timelines and faults bound to a task when it is submitted (scenarios/*.yaml)."""

from mockserver.scenarios.library import SCENARIO_HEADER, ScenarioLibrary, Selection, UnknownScenario
from mockserver.scenarios.loader import ScenarioFileError, load_file, parse
from mockserver.scenarios.model import DEFAULT, CallbackScript, Failure, NetworkFault, PollFault, ResultScript, Scenario

__all__ = [
    "DEFAULT",
    "SCENARIO_HEADER",
    "CallbackScript",
    "Failure",
    "NetworkFault",
    "PollFault",
    "ResultScript",
    "Scenario",
    "ScenarioFileError",
    "ScenarioLibrary",
    "Selection",
    "UnknownScenario",
    "load_file",
    "parse",
]
