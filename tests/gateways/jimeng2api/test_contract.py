"""The jimeng2api contract itself: complete error catalogue, sources on every field and rule, lifecycle."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockserver.contracts.contract import load_contract
from mockserver.gateways.jimeng2api.models.failures import entry_error, failure_body

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


SHARED_KINDS = {
    "input_moderation": "content_filtered",
    "input_text_moderation": "fail_code_2038",
    "input_image_moderation": "fail_code_2039",
    "output_moderation": "fail_code_2043",
    "credits_exhausted": "insufficient_credit",
    "rate_limited": "rate_limited",
    "concurrency_limited": "generation_rejected",
    "session_expired": "token_expired",
    "internal_error": "request_failed",
    "upstream_unavailable": "upstream_timeout",
    "timeout_no_result": "generation_timeout",
    "generation_failed": "fail_code_1017",
}


def test_every_shared_kind_has_an_entry_of_its_own() -> None:
    assert {kind: CONTRACT.error(kind)["name"] for kind in SHARED_KINDS} == SHARED_KINDS  # type: ignore[index]


def test_task_errors_agree_with_their_entry() -> None:
    for entry in DOCUMENT["x-errors"]:
        if "task_error" not in entry:
            continue
        assert entry["shape"] == "task-error" and entry["http_status"] == 200, entry["name"]
        assert entry_error(entry) == {"message": entry["message"], "type": entry["type"], "code": entry["code"]}
        image = entry_error(entry, "image")
        if entry["code"] == -2008:  # IMAGE_GENERATION_FAILED for images
            assert image["code"] == -2007 and image["message"].startswith("图像生成失败"), entry["name"]


def test_failure_body_infers_the_status_from_the_errcode() -> None:
    assert failure_body(-2009) == (402, "insufficient_quota", "insufficient_quota")
    assert failure_body(-2006) == (403, "content_policy_error", "content_filtered")
    assert failure_body(-2002) == (401, "authentication_error", "invalid_api_key")
    assert failure_body(-2000) == (400, "invalid_request_error", "invalid_request")
    assert failure_body(-2004) == (413, "invalid_request_error", "payload_too_large")
    assert failure_body(-2008) == (502, "api_error", -2008)
    assert failure_body(-3000) == (500, "api_error", -3000)
    assert failure_body("ECONNABORTED") == (500, "api_error", "internal_error")


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
