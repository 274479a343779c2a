"""Cassettes: record real traffic through a proxy, export the mock's journal, and replay either exactly."""

from mockserver.cassettes.cassette import (
    Cassette,
    CassetteError,
    Interaction,
    redact_body,
    redact_headers,
    redact_query,
)
from mockserver.cassettes.record import Recorder
from mockserver.cassettes.replay import REPORT_PATH, Replayer, request_key

__all__ = [
    "REPORT_PATH",
    "Cassette",
    "CassetteError",
    "Interaction",
    "Recorder",
    "Replayer",
    "redact_body",
    "redact_headers",
    "redact_query",
    "request_key",
]
