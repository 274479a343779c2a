"""The api.gpt.ge contract itself: complete, sourced, and the one the provider follows."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mockserver.contracts.contract import contracts_dir, load_contract
from mockserver.gateways.gptge.models import DEFAULT_ASPECT_RATIO, FPS, FRAMES, SIZES
from tests.contracts.test_contract import _io_schemas, _schema_refs, _unsourced

SOURCES = {"documented", "observed", "assumed"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((contracts_dir() / "gptge.yaml").read_text(encoding="utf-8"))
    return loaded


def test_routes_and_operations(document: dict[str, Any]) -> None:
    contract = load_contract("gptge")
    assert document["x-provider"] == "gptge"
    assert set(contract.operations) == {"textToVideo", "imageToVideo", "getTask"}
    assert contract.match("post", "/task/jimeng/text2video") is contract.operation("textToVideo")
    assert contract.match("post", "/task/jimeng/image2video") is contract.operation("imageToVideo")
    assert contract.match("get", "/task/14117763723766220057") is contract.operation("getTask")


def io_schemas(document: dict[str, Any]) -> set[str]:
    """Schemas requests and responses use, also through shared `components/responses`."""
    schemas = document["components"]["schemas"]
    todo = list(_io_schemas(document)) + list(_schema_refs(document["components"]["responses"]))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_schema_refs(schemas[name]))
    return seen


def test_every_request_and_response_property_has_a_source(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    used = io_schemas(document)
    assert used == set(schemas), "every schema is used by a request or a response"
    missing = [path for name in sorted(used) for path in _unsourced(schemas[name], name, False)]
    assert missing == []


def test_every_error_entry_is_complete(document: dict[str, Any]) -> None:
    for entry in document["x-errors"]:
        assert {"name", "http_status", "code", "message", "retryable", "x-source"} <= set(entry), entry["name"]
        assert isinstance(entry["code"], int) and isinstance(entry["retryable"], bool)
        assert entry["x-source"] in SOURCES
        assert entry.get("at", "submit") in ("submit", "task")
    names = [entry["name"] for entry in document["x-errors"]]
    assert len(names) == len(set(names))


def test_lifecycle_and_lifetimes(document: dict[str, Any]) -> None:
    lifecycle = load_contract("gptge").lifecycle
    assert lifecycle.states == ("in_queue", "generating", "done", "not_found", "expired")
    assert lifecycle.success == lifecycle.failure == "done"
    lifetimes = document["x-lifetimes"]
    assert {name: entry["seconds"] for name, entry in lifetimes.items()} == {
        "result_url": 3600,
        "task": 86400,
        "expired_record": 86400,
    }
    assert all(entry["x-source"] in SOURCES for entry in lifetimes.values())


def test_the_provider_renders_the_resolutions_the_contract_lists(document: dict[str, Any]) -> None:
    ratio = document["components"]["schemas"]["AspectRatio"]
    listed = {name: tuple(size) for name, size in ratio["x-resolutions"].items() if name != "x-source"}
    assert listed == SIZES
    assert ratio["enum"] == list(SIZES)
    assert ratio["default"] == DEFAULT_ASPECT_RATIO
    assert (FPS, FRAMES) == (24, 121)


def test_the_scenario_control_is_documented(document: dict[str, Any]) -> None:
    assert "x-mock-controls" not in document
    assert document["x-scenarios"]["x-source"] == "assumed"


GOOD_DATA: dict[str, Any] = {
    "binary_data_base64": [],
    "image_urls": None,
    "resp_data": "",
    "status": "in_queue",
    "video_url": "",
}
ENVELOPE = {"code": 10000, "message": "Success", "request_id": "20260101080000315EC97EEEC276DD6215", "status": 10000}


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        ("SubmitEnvelope", {**ENVELOPE, "data": {"task_id": "123"}, "time_elapsed": "1.000000ms"}),
        ("SubmitEnvelope", {**ENVELOPE, "data": {"task_id": "1234567890123456789"}, "time_elapsed": "1ms"}),
        (
            "SubmitEnvelope",
            {**ENVELOPE, "code": 0, "data": {"task_id": "1234567890123456789"}, "time_elapsed": "1.000000ms"},
        ),
        ("TaskEnvelope", {**ENVELOPE, "data": {**GOOD_DATA, "status": "done"}, "time_elapsed": "1.000000ms"}),
        ("TaskEnvelope", {**ENVELOPE, "data": {**GOOD_DATA, "status": "running"}, "time_elapsed": "1.000000ms"}),
        (
            "TaskEnvelope",
            {**ENVELOPE, "data": {**GOOD_DATA, "video_url": "https://x/a.mp4?"}, "time_elapsed": "1.000000ms"},
        ),
        ("TaskEnvelope", {**ENVELOPE, "data": {**GOOD_DATA, "extra": 1}, "time_elapsed": "1.000000ms"}),
        ("ErrorEnvelope", {**ENVELOPE, "data": None, "time_elapsed": "1.000000ms"}),
        (
            "ErrorEnvelope",
            {**ENVELOPE, "code": 50500, "status": 50500, "data": GOOD_DATA, "time_elapsed": "1.000000ms"},
        ),
        (
            "ErrorEnvelope",
            {**ENVELOPE, "code": 50500, "status": 50500, "data": None, "request_id": "x", "time_elapsed": "1.000000ms"},
        ),
    ],
)
def test_the_response_schemas_reject_wrong_answers(schema: str, body: dict[str, Any]) -> None:
    assert list(load_contract("gptge").schema_validator(schema).iter_errors(body)), body


def test_the_response_schemas_accept_the_documented_examples() -> None:
    contract = load_contract("gptge")
    submitted = {
        "code": 10000,
        "data": {"task_id": "14117763723766220057"},
        "message": "Success",
        "request_id": "20250501223433B728875839C8FE1F4DBF",
        "status": 10000,
        "time_elapsed": "55.764678ms",
    }
    refused = {
        "code": 50413,
        "data": None,
        "message": "Post Text Risk Not Pass",
        "request_id": "202511281418218670D408837A9B0EB58F",
        "status": 50413,
        "time_elapsed": "36.799829ms",
    }
    assert not list(contract.schema_validator("SubmitEnvelope").iter_errors(submitted))
    assert not list(contract.schema_validator("ErrorEnvelope").iter_errors(refused))
