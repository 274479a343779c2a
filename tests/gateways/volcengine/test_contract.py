"""The volcengine contract itself: every rule sourced, a complete error catalogue, scenarios that name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.contracts.contract import load_contract
from mockserver.gateways.volcengine.images import ASYNC_IMAGE_KEYS, IMAGE_KEYS
from mockserver.gateways.volcengine.models import REQ_KEYS
from tests.contracts.test_contract import _io_schemas, _unsourced

SPECS = Path(__file__).resolve().parents[3] / "mockserver"
DOCUMENT: dict[str, Any] = yaml.safe_load((SPECS / "contracts" / "specs" / "volcengine.yaml").read_text())
SOURCES = {"documented", "observed", "assumed"}


def test_every_schema_property_has_a_source() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert {"SubmitRequest", "GetResultRequest", "TaskRef", "ResultEnvelope"} <= _io_schemas(DOCUMENT)
    missing = [path for name in sorted(schemas) for path in _unsourced(schemas[name], name, False)]
    assert missing == []


def test_every_cross_field_rule_has_a_source() -> None:
    rules = DOCUMENT["components"]["schemas"]["SubmitRequest"]["allOf"]
    assert rules and all(rule["x-source"] in SOURCES for rule in rules)


def test_every_lifetime_and_error_is_complete() -> None:
    assert all(
        lifetime["x-source"] in SOURCES and lifetime["seconds"] > 0 for lifetime in DOCUMENT["x-lifetimes"].values()
    )
    names = [entry["name"] for entry in DOCUMENT["x-errors"]]
    assert len(names) == len(set(names))
    for entry in DOCUMENT["x-errors"]:
        assert {"name", "http_status", "code", "message", "retryable", "x-source"} <= set(entry), entry["name"]
        assert entry["x-source"] in SOURCES
        if isinstance(entry["code"], str):  # the gateway in front: a CodeN beside the Code
            assert 100001 <= entry["code_n"] <= 100099


def test_the_catalogue_has_every_documented_business_code() -> None:
    codes = {entry["code"] for entry in DOCUMENT["x-errors"] if isinstance(entry["code"], int)}
    documented = {10000, 50411, 50511, 50412, 50512, 50413, 50513, 50514, 50516, 50517, 50518, 50519, 50520, 50521}
    assert documented | {50522, 50429, 50430, 50500, 50501} <= codes


def test_the_req_keys_the_contract_takes_are_the_ones_the_gateway_renders() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert set(schemas["ReqKey"]["enum"]) == set(REQ_KEYS) | ASYNC_IMAGE_KEYS
    assert set(schemas["ProcessRequest"]["properties"]["req_key"]["enum"]) == set(IMAGE_KEYS) - ASYNC_IMAGE_KEYS


@pytest.mark.parametrize(
    "path", sorted((SPECS / "scenarios" / "builtin").glob("volcengine_*.yaml")), ids=lambda p: p.stem
)
def test_each_business_code_scenario_names_its_catalogue_entry(path: Path) -> None:
    scenario = yaml.safe_load(path.read_text())
    entry = load_contract("volcengine").errors[scenario.get("reject") or scenario["fail"]["error"]]
    assert path.stem == f"volcengine_{entry['code']}"
    assert ("reject" in scenario) == (entry["at"] == "submit")
