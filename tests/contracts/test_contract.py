from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.contracts.contract import Contract, ContractError, Violation, load_contract, quick_check
from tests.engine.lifecycles import FOUR_STATES

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "mockserver" / "contracts" / "specs" / "crazyrouter.yaml"
MODEL = "jimeng-video-3.0"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract("crazyrouter")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8"))
    return loaded


# loading


def test_load_contract_parses(contract: Contract) -> None:
    assert contract.name == "crazyrouter"
    assert contract.document["openapi"] == "3.1.0"
    assert contract.document["x-provider"] == "crazyrouter"
    assert set(contract.operations) == {"submitVideo", "fetchTask"}


def test_load_contract_is_cached() -> None:
    assert load_contract("crazyrouter") is load_contract("crazyrouter")


def test_load_unknown_contract() -> None:
    with pytest.raises(ContractError, match="no contract 'no-such-gateway'"):
        load_contract("no-such-gateway")


def test_every_operation_has_an_operation_id(document: dict[str, Any]) -> None:
    methods = {"get", "post", "put", "patch", "delete", "head"}
    found = [
        spec.get("operationId")
        for item in document["paths"].values()
        for method, spec in item.items()
        if method in methods
    ]
    assert found == ["submitVideo", "fetchTask"]
    assert all(found)


def test_operations_are_read_with_method_and_path(contract: Contract) -> None:
    submit, fetch = contract.operation("submitVideo"), contract.operation("fetchTask")
    assert (submit.method, submit.path) == ("post", "/jimeng/submit/videos")
    assert (fetch.method, fetch.path) == ("get", "/jimeng/fetch/{task_id}")
    assert submit.contract is contract


def test_unknown_operation(contract: Contract) -> None:
    with pytest.raises(ContractError, match="no operation 'cancelTask'"):
        contract.operation("cancelTask")


def test_operation_without_an_operation_id_is_rejected() -> None:
    document = {"openapi": "3.1.0", "paths": {"/x": {"get": {"responses": {}}}}}
    with pytest.raises(ContractError, match="GET /x has no operationId"):
        Contract("broken", document)


@pytest.mark.parametrize("version", ["3.0.3", "2.0", "", "4.0.0"])
def test_non_3_1_document_raises(version: str) -> None:
    with pytest.raises(ContractError, match=r"only OpenAPI 3\.1 documents are supported"):
        Contract("old", {"openapi": version, "paths": {}})


def test_document_without_a_version_raises() -> None:
    with pytest.raises(ContractError, match=r"only OpenAPI 3\.1"):
        Contract("none", {"paths": {}})


def test_minimal_3_1_document() -> None:
    contract = Contract("tiny", {"openapi": "3.1.1", "paths": {"/a": {"get": {"operationId": "getA"}}}})
    assert list(contract.operations) == ["getA"]
    assert contract.operation("getA").check_request({"anything": 1}) is None


# match


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("POST", "/jimeng/submit/videos", "submitVideo"),
        ("post", "/jimeng/submit/videos", "submitVideo"),
        ("GET", "/jimeng/fetch/7312345678901234567", "fetchTask"),
        ("get", "/jimeng/fetch/abc-def", "fetchTask"),
    ],
)
def test_match(contract: Contract, method: str, path: str, operation_id: str) -> None:
    operation = contract.match(method, path)
    assert operation is not None
    assert operation.operation_id == operation_id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/jimeng/submit/videos"),
        ("POST", "/jimeng/fetch/123"),
        ("GET", "/jimeng/fetch/"),
        ("GET", "/jimeng/fetch/1/2"),
        ("POST", "/jimeng/submit/videos/"),
        ("POST", "/crazyrouter/jimeng/submit/videos"),
        ("GET", "/v1/models"),
    ],
)
def test_match_none(contract: Contract, method: str, path: str) -> None:
    assert contract.match(method, path) is None


# check_request


@pytest.mark.parametrize(
    "body",
    [
        {"model": MODEL, "prompt": "a cat"},
        {"model": MODEL, "prompt": "a cat", "duration": 10, "aspect_ratio": "9:16"},
        {"model": MODEL, "image_url": "https://example.com/a.png"},
        {"model": MODEL, "binary_data_base64": ["aGVsbG8="]},
        {"model": MODEL, "image_urls": ["http://example.com/a.png"]},
        {"model": MODEL, "image_url": "https://x/a.png", "template_id": "robo_arm", "camera_strength": "weak"},
    ],
)
def test_check_request_valid(contract: Contract, body: dict[str, Any]) -> None:
    assert contract.operation("submitVideo").check_request(body) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"model": "gpt-video", "prompt": "a cat"},
            Violation("model", "model 'gpt-video' is not supported: the public model is jimeng-video-3.0"),
        ),
        (
            {"model": MODEL, "prompt": "a cat", "duration": 7},
            Violation("duration", "duration 7 is not supported: use 5 or 10"),
        ),
        (
            {"model": MODEL},
            Violation("", "prompt is required for text-to-video (send a prompt, or an image)"),
        ),
        (
            {"model": MODEL, "image_url": "https://x/a.png", "image_urls": ["https://x/b.png"]},
            Violation("", "only one image is accepted: send one of image_url, binary_data_base64 or image_urls"),
        ),
        (
            {"model": MODEL, "image_url": "https://x/a.png", "binary_data_base64": ["aGVsbG8="]},
            Violation("", "only one image is accepted: send one of image_url, binary_data_base64 or image_urls"),
        ),
        (
            {"model": MODEL, "image_urls": ["https://x/a.png", "https://x/b.png"]},
            Violation(
                "image_urls",
                "image_urls is a compatibility form for a single image; multi-reference input is not a public contract",
            ),
        ),
        (
            {"model": MODEL, "prompt": "a", "aspect_ratio": "2:1"},
            Violation(
                "aspect_ratio", "aspect_ratio '2:1' is not supported: use one of 16:9, 4:3, 1:1, 3:4, 9:16, 21:9"
            ),
        ),
        (
            {"model": MODEL, "image_url": "ftp://x/a.png"},
            Violation("image_url", "image_url must be an http(s) URL"),
        ),
        (
            {"model": MODEL, "prompt": "a", "template_id": "robo_arm"},
            Violation("", "template_id (single-image recamera) needs an image"),
        ),
        (
            {"model": MODEL, "prompt": "a", "camera_strength": "weak"},
            Violation("", "camera_strength needs a template_id"),
        ),
        ({"prompt": "a cat"}, Violation("", "'model' is a required property")),
        ([], Violation("", "[] is not of type 'object'")),
    ],
)
def test_check_request_violation(contract: Contract, body: Any, expected: Violation) -> None:
    assert contract.operation("submitVideo").check_request(body) == expected


def test_check_request_without_a_request_body(contract: Contract) -> None:
    operation = contract.operation("fetchTask")
    assert operation.request_schema() is None
    assert operation.check_request({"whatever": True}) is None


def test_request_schema_is_the_documented_ref(contract: Contract) -> None:
    schema = contract.operation("submitVideo").request_schema()
    assert schema == {"$ref": "#/components/schemas/SubmitVideoRequest"}
    assert contract.operation("submitVideo").request_schema("text/plain") is None


# responses


SUBMIT_RESPONSE = {
    "id": "7312345678901234567",
    "task_id": "7312345678901234567",
    "object": "video",
    "model": MODEL,
    "status": "",
    "progress": 0,
    "created_at": 1767225600,
}


def test_response_validator_accepts_a_documented_body(contract: Contract) -> None:
    validator = contract.operation("submitVideo").response_validator(200)
    assert list(validator.iter_errors(SUBMIT_RESPONSE)) == []
    assert [e.validator for e in validator.iter_errors(SUBMIT_RESPONSE | {"progress": 5})] == ["const"]


def test_response_validator_for_an_error_status(contract: Contract) -> None:
    validator = contract.operation("fetchTask").response_validator(400)
    assert validator.is_valid({"code": "task_not_exist", "message": "task_not_exist", "data": None})
    assert not validator.is_valid({"error": {"message": "x", "type": "y", "code": ""}})


def test_fetch_response_validator_checks_conditional_fields(contract: Contract) -> None:
    validator = contract.operation("fetchTask").response_validator(200)
    task: dict[str, Any] = {
        "error": None,
        "format": "mp4",
        "metadata": None,
        "status": "queued",
        "task_id": "1",
        "url": "",
    }
    assert validator.is_valid({"code": "success", "message": "", "data": task})
    assert not validator.is_valid({"code": "success", "message": "", "data": task | {"url": "https://x/a.mp4?s=1"}})
    succeeded = task | {"status": "succeeded", "url": "https://x/a.mp4?s=1"}
    assert validator.is_valid({"code": "success", "message": "", "data": succeeded})
    failed = task | {"status": "failed"}
    assert not validator.is_valid({"code": "success", "message": "", "data": failed})
    failed["error"] = {"code": 400, "message": "refused"}
    assert validator.is_valid({"code": "success", "message": "", "data": failed})


@pytest.mark.parametrize(("operation_id", "status"), [("getClock", 500), ("advanceClock", 404), ("getTask", 400)])
def test_response_validator_undocumented_status(operation_id: str, status: int) -> None:
    with pytest.raises(ContractError, match=f"{operation_id} does not document status {status}"):
        load_contract("admin").operation(operation_id).response_validator(status)


def test_scripted_faults_fall_back_to_the_default_response(contract: Contract) -> None:
    validator = contract.operation("fetchTask").response_validator(503)
    assert validator.is_valid({"code": "mock_fault", "message": "scripted fault: HTTP 503", "data": None})
    assert validator.is_valid({"error": {"message": "x", "type": "new_api_error", "code": ""}})
    assert not validator.is_valid({"detail": "x"})


def test_response_validator_undocumented_media_type(contract: Contract) -> None:
    with pytest.raises(ContractError, match="fetchTask 200 has no text/html body"):
        contract.operation("fetchTask").response_validator(200, "text/html")


def test_schema_validator_by_name(contract: Contract) -> None:
    validator = contract.schema_validator("TaskFailure")
    assert validator.is_valid({"code": 1, "message": "x"})
    assert not validator.is_valid({"code": "1", "message": "x"})
    assert contract.schema("TaskFailure")["required"] == ["code", "message"]


# lifecycle, lifetimes and errors


def test_lifecycle_from_the_contract(contract: Contract) -> None:
    assert contract.lifecycle == FOUR_STATES


def test_lifetimes_from_the_contract(contract: Contract) -> None:
    lifetimes = contract.extension("x-lifetimes")
    assert lifetimes["result_url"]["seconds"] == 86400
    assert lifetimes["task"]["seconds"] == 604800


def test_missing_extension(contract: Contract) -> None:
    with pytest.raises(ContractError, match="the contract has no x-nothing"):
        contract.extension("x-nothing")


def test_contract_without_a_lifecycle() -> None:
    with pytest.raises(ContractError, match="has no x-lifecycle"):
        _ = Contract("bare", {"openapi": "3.1.0"}).lifecycle


def test_errors_catalogue(contract: Contract) -> None:
    errors = contract.errors
    assert {name: (e["http_status"], e["code"], e["message"]) for name, e in errors.items()} == {
        "missing_token": (401, "", "未提供令牌"),
        "invalid_token": (401, "", "无效的令牌"),
        "invalid_request": (400, "invalid_request", "(says which field or rule failed)"),
        "request_too_large": (413, "invalid_request", "request body too large (limit N bytes)"),
        "task_not_exist": (400, "task_not_exist", "task_not_exist"),
        "invalid_url": (404, "", "Invalid URL (METHOD PATH)"),
        "generation_failed": (200, 400, "任务执行失败"),
        "output_moderation": (200, 400, "Post Video Risk Not Pass"),
        "upstream_internal_error": (200, 400, "Internal Error"),
        "input_text_moderation": (400, "upstream_error", "Text Risk Not Pass"),
        "input_image_moderation": (400, "upstream_error", "Pre Img Risk Not Pass"),
        "quota_not_enough": (403, "quota_not_enough", "user quota is not enough"),
        "rate_limited": (429, "", "当前分组上游负载已饱和，请稍后再试"),
        "upstream_unavailable": (502, "bad_response_status_code", "bad response status code 502"),
    }
    retryable = {name for name, e in errors.items() if e["retryable"]}
    assert retryable == {
        "generation_failed",
        "output_moderation",
        "upstream_internal_error",
        "rate_limited",
        "upstream_unavailable",
    }


def test_errors_are_found_by_name_or_kind(contract: Contract) -> None:
    assert contract.error("quota_not_enough") is contract.errors["quota_not_enough"]
    assert contract.error("credits_exhausted") is contract.errors["quota_not_enough"]
    assert contract.error("timeout_no_result") is contract.errors["generation_failed"]
    assert contract.error("no_such_error") is None


def test_every_error_entry_is_complete(document: dict[str, Any]) -> None:
    required = {"name", "http_status", "code", "message", "retryable", "x-source"}
    for entry in document["x-errors"]:
        assert required <= set(entry), entry.get("name")
        assert isinstance(entry["http_status"], int)
        assert 100 <= entry["http_status"] <= 599
        assert isinstance(entry["retryable"], bool)
        assert entry["x-source"] in {"documented", "observed", "assumed"}
    names = [entry["name"] for entry in document["x-errors"]]
    assert len(names) == len(set(names))


# x-source coverage of request and response schemas


def _schema_refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _schema_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_refs(value)


def _io_schemas(document: dict[str, Any]) -> set[str]:
    """Schemas a request or response uses, directly or through other schemas."""
    schemas = document["components"]["schemas"]
    todo = [
        name
        for item in document["paths"].values()
        for spec in item.values()
        if isinstance(spec, Mapping)
        for name in _schema_refs({k: spec.get(k) for k in ("requestBody", "responses")})
    ]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_schema_refs(schemas[name]))
    return seen


def _unsourced(schema: Mapping[str, Any], where: str, sourced: bool) -> Iterator[str]:
    sourced = sourced or "x-source" in schema
    for name, prop in schema.get("properties", {}).items():
        if not isinstance(prop, Mapping):
            continue
        if not sourced and "x-source" not in prop:
            yield f"{where}.{name}"
        yield from _unsourced(prop, f"{where}.{name}", sourced)


def test_request_and_response_schemas_are_found(document: dict[str, Any]) -> None:
    assert _io_schemas(document) == {
        "SubmitVideoRequest",
        "SubmitVideoResponse",
        "FetchResponse",
        "VideoTask",
        "TaskFailure",
        "TaskError",
        "OpenAIError",
    }


def test_every_request_and_response_property_has_a_source(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    missing = [
        path for name in sorted(_io_schemas(document)) for path in _unsourced(schemas[name], name, sourced=False)
    ]
    assert missing == []


def test_every_request_field_rule_has_a_source(document: dict[str, Any]) -> None:
    properties = document["components"]["schemas"]["SubmitVideoRequest"]["properties"]
    assert {name: prop.get("x-source") is not None for name, prop in properties.items()} == dict.fromkeys(
        properties, True
    )


def test_every_lifetime_has_a_source(document: dict[str, Any]) -> None:
    assert document["x-lifecycle"]["x-source"] == "documented"
    for name, lifetime in document["x-lifetimes"].items():
        assert lifetime["x-source"] in {"documented", "observed", "assumed"}, name
        assert lifetime["seconds"] > 0


def _leaves(node: Any) -> Iterator[Any]:
    """Every enum value and name in a schema tree: the values a generated body should hit."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            if key == "enum":
                yield from value
            else:
                yield from _leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from _leaves(value)


_CRAZYROUTER = load_contract("crazyrouter")
_SUBMIT = _CRAZYROUTER.operation("submitVideo")
_NAMES = sorted({leaf for leaf in _leaves(_CRAZYROUTER.schema("SubmitVideoRequest")) if isinstance(leaf, str)})
_SCALARS = st.one_of(
    st.sampled_from(sorted({v for v in _leaves(_CRAZYROUTER.document) if isinstance(v, str | int)}, key=repr)),
    st.sampled_from(["https://example.com/a.png", "ftp://x", "", "a" * 801, 5.0, 10.5, True, None, 121, 241]),
    st.text(max_size=6),
    st.integers(-3, 300),
)
_VALUES = st.one_of(
    _SCALARS, st.lists(_SCALARS, max_size=3), st.dictionaries(st.text(max_size=3), _SCALARS, max_size=2)
)


_PROPERTIES = _CRAZYROUTER.schema("SubmitVideoRequest")["properties"]
_URL = "https://example.com/a.png"


def _field(spec: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly values the field accepts, sometimes anything."""
    if "enum" in spec:
        fits: st.SearchStrategy[Any] = st.sampled_from(spec["enum"])
    else:
        by_type: dict[Any, list[Any]] = {
            "string": [_URL, "cat"],
            "integer": [121, 241, 7],
            "array": [[_URL], ["aGk="], []],
        }
        fits = st.sampled_from(by_type.get(spec.get("type"), [None]))
    return st.sampled_from([True, True, True, False]).flatmap(lambda good: fits if good else _VALUES)


_BODIES = st.fixed_dictionaries(
    {"model": _field(_PROPERTIES["model"])},
    optional={name: _field(spec) for name, spec in _PROPERTIES.items() if name != "model"},
)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_BODIES, st.dictionaries(st.sampled_from(_NAMES), _VALUES, max_size=7), _VALUES))
def test_the_fast_request_check_agrees_with_jsonschema(body: Any) -> None:
    accepts = _SUBMIT._request_accepts
    assert accepts is not None
    assert accepts(body) == _SUBMIT._request_validator.is_valid(body)  # type: ignore[union-attr]


def test_the_fast_request_check_declines_keywords_it_does_not_know() -> None:
    assert quick_check({"type": "object", "propertyNames": {"maxLength": 3}}, lambda pointer: None) is None
    assert quick_check({"properties": {"a": {"unevaluatedItems": False}}}, lambda pointer: None) is None
    assert quick_check({"type": "string", "x-message": "m", "description": "d"}, lambda pointer: None) is not None


_BOUND_SCHEMAS = st.fixed_dictionaries(
    {},
    optional={
        key: st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False))
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    }
    | {"const": st.sampled_from([0, 1, 1.0, "1", True, False, None, "seedance2.0-std"])},
)
_NUMBERS = st.one_of(
    st.integers(-6, 6), st.floats(-6, 6, allow_nan=False), st.booleans(), st.none(), st.text(max_size=2)
)


@settings(max_examples=1000, deadline=None)
@given(_BOUND_SCHEMAS, _NUMBERS)
def test_the_fast_check_of_bounds_and_const_agrees_with_jsonschema(schema: dict[str, Any], value: Any) -> None:
    from jsonschema import Draft202012Validator

    check = quick_check(schema, lambda pointer: None)
    assert check is not None
    assert check(value) == Draft202012Validator(schema).is_valid(value)


_JIMMYAI = load_contract("jimmyai").operation("createSeedanceVideo")
_JIMMYAI_MODELS = sorted({leaf for leaf in _leaves(load_contract("jimmyai").document) if isinstance(leaf, str)
                          and leaf.startswith(("seedance", "sd2_"))})  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.fixed_dictionaries(
        {"model": st.sampled_from(_JIMMYAI_MODELS), "prompt": st.sampled_from(["a fox", "", "a" * 5001])},
        optional={"duration": _NUMBERS, "resolution": st.sampled_from(["480p", "720p", "1080p", "2k", 5])},
    )
)
def test_the_fast_request_check_agrees_with_jsonschema_on_per_model_rules(body: dict[str, Any]) -> None:
    accepts = _JIMMYAI._request_accepts
    assert accepts is not None  # its per-model rules (const, minimum, maximum) no longer send it to jsonschema
    assert accepts(body) == _JIMMYAI._request_validator.is_valid(body)  # type: ignore[union-attr]
