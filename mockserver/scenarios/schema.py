"""The JSON Schema every scenario file must satisfy (scenarios/*.yaml)."""

from __future__ import annotations

from typing import Any

_SECONDS = {"type": "number", "minimum": 0}
TIMING: dict[str, Any] = {
    "oneOf": [
        _SECONDS,
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": False,
            "properties": {
                "seconds": _SECONDS,
                "uniform": {"type": "array", "items": _SECONDS, "minItems": 2, "maxItems": 2},
                "lognormal": {
                    "type": "object",
                    "required": ["median"],
                    "additionalProperties": False,
                    "properties": {
                        "median": {"type": "number", "exclusiveMinimum": 0},
                        "sigma": _SECONDS,
                        "low": _SECONDS,
                        "high": _SECONDS,
                    },
                },
                "polls": {"type": "integer", "minimum": 1},
                "forever": {"const": True},
            },
        },
    ]
}
_PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}
NETWORK_FAULTS = ("reset", "empty", "truncate", "malformed", "trickle", "hang")
NETWORK_FAULT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "latency": TIMING,
        "fault": {"enum": list(NETWORK_FAULTS)},
        "p": _PROBABILITY,
        "when": {"enum": ["submit", "poll", "any"], "default": "any"},
    },
    "anyOf": [{"required": ["latency"]}, {"required": ["fault"]}],
}
POLL_FAULT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "nth": {"type": "integer", "minimum": 1, "description": "only this poll (1 = the first)"},
        "from": {"type": "integer", "minimum": 1, "description": "this poll and every later one"},
        "until": {"type": "integer", "minimum": 1, "description": "with from: up to this poll"},
        "p": _PROBABILITY,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "retry_after": _SECONDS,
        "error": {"type": "string", "minLength": 1},
        "fault": {"enum": list(NETWORK_FAULTS)},
        "latency": TIMING,
    },
    "oneOf": [{"required": ["nth"]}, {"required": ["from"]}],
    "anyOf": [{"required": ["status"]}, {"required": ["fault"]}, {"required": ["latency"]}],
}
SCENARIO: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["description"],
    "properties": {
        "description": {"type": "string", "minLength": 1},
        "providers": {
            "oneOf": [{"const": "all"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
        },
        "timings": {"type": "object", "additionalProperties": TIMING},
        "reject": {"type": "string", "minLength": 1, "description": "refuse the submit with this error"},
        "fail": {
            "type": "object",
            "additionalProperties": False,
            "required": ["error"],
            "properties": {
                "error": {"type": "string", "minLength": 1},
                "at_progress": {"type": "integer", "minimum": 0, "maximum": 99},
            },
        },
        "stuck": {"type": "string", "minLength": 1, "description": "the task never leaves this state"},
        "status_lag": _SECONDS,
        "result": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "url": {"type": "boolean"},
                "unavailable_for": _SECONDS,
                "ttl": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "polls": {"type": "array", "items": POLL_FAULT},
        "callbacks": {
            "type": "object",
            "additionalProperties": False,
            "description": "how a task's status callbacks are delivered (gateways that send them: ark)",
            "properties": {
                "delay": _SECONDS,
                "duplicates": {"type": "integer", "minimum": 0, "maximum": 5},
                "out_of_order": {"type": "boolean"},
            },
        },
        "faults": {"type": "array", "items": NETWORK_FAULT},
    },
}
