"""The jimeng2api contract itself: complete error catalogue, sources on every field and rule, lifecycle."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockserver.contracts import load_contract
from mockserver.providers.jimeng2api.models_failures import MOCK_FAILURES

CONTRACT = load_contract("jimeng2api")
DOCUMENT: dict[str, Any] = dict(CONTRACT.document)
SOURCES = {"documented", "observed", "assumed"}


def test_every_error_entry_is_complete() -> None:
    for entry in DOCUMENT["x-errors"]:
        assert {"name", "http_status", "code", "message", "retryable", "x-source"} <= set(entry), entry["name"]
        assert isinstance(entry["http_status"], int) and isinstance(entry["retryable"], bool)
        assert entry["x-source"] in SOURCES
    names = [entry["name"] for entry in DOCUMENT["x-errors"]]
    assert len(names) == len(set(names))


def test_the_mock_failure_table_is_documented() -> None:
    documented = {entry["name"]: entry for entry in DOCUMENT["x-mock-error"]["failures"]}
    assert set(documented) == set(MOCK_FAILURES)
    for name, failure in MOCK_FAILURES.items():
        assert documented[name]["code"] == failure.code
        assert documented[name]["aliases"] == list(failure.aliases)


def test_lifecycle_and_lifetimes() -> None:
    lifecycle = CONTRACT.lifecycle
    assert lifecycle.states == ("queued", "running", "succeeded", "failed")
    assert DOCUMENT["x-queue"]["concurrency"] == 2
    for lifetime in DOCUMENT["x-lifetimes"].values():
        assert lifetime["x-source"] in SOURCES and lifetime["seconds"] > 0


def _unsourced(schema: Mapping[str, Any], where: str, sourced: bool) -> Iterator[str]:
    sourced = sourced or "x-source" in schema
    for name, prop in schema.get("properties", {}).items():
        if isinstance(prop, Mapping):
            if not sourced and "x-source" not in prop:
                yield f"{where}.{name}"
            yield from _unsourced(prop, f"{where}.{name}", sourced)


def test_every_schema_property_and_operation_has_a_source() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert [p for name, schema in schemas.items() for p in _unsourced(schema, name, sourced=False)] == []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            assert operation.get("x-source") in SOURCES, f"{method} {path}"


def test_request_fields_have_their_own_source() -> None:
    for name in ("CreateVideoRequest", "CreateImageRequest", "CreateCompositionRequest"):
        properties = DOCUMENT["components"]["schemas"][name]["properties"]
        assert all("x-source" in prop for prop in properties.values()), name


def test_token_routes_are_marked_legacy() -> None:
    for path in ("/token/check", "/token/points", "/token/receive"):
        assert "x-legacy" in DOCUMENT["paths"][path]["post"]
