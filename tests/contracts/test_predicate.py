"""The compiled request check (mockserver.contracts.predicate, behind contracts.quick_check) against jsonschema: on
every request body of every contract, on random schemas, and on the cases the contracts do not exercise."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.contracts.contract import Contract, Operation, contracts_dir, load_contract, quick_check

_CONTRACTS = sorted(
    path.name.removesuffix(".yaml") for path in contracts_dir().iterdir() if path.name.endswith(".yaml")
)
_OPERATIONS = [
    pytest.param(load_contract(name), op, id=f"{name}.{op.operation_id}")
    for name in _CONTRACTS
    for op in load_contract(name).operations.values()
    if op.request_schema() is not None
]
_JUNK: list[Any] = [None, True, False, 0, -1, 1.0, 2.5, 10**6, "", "a" * 5001, "https://example.com/a.png"]
_JUNK += ["https://example.com/v.mp4", "aGk=", "data:image/png;base64,aGk=", [], {}, ["x"], {"a": 1}]
_TYPED: dict[Any, list[Any]] = {
    "string": ["cat", "https://example.com/a.png", "https://example.com/v.mp4", "aGk="],
    "integer": [0, 1, 5, 10, 121, 5.0],
    "number": [0.5, 1, 5, 12.0],
    "boolean": [True, False],
    "array": [[], ["https://example.com/a.png"], ["aGk="], ["a", "b", "c", "d"]],
    "object": [{}],
}


def _walk(node: Any, contract: Contract, seen: frozenset[str] = frozenset()) -> Iterator[tuple[str, Any]]:
    """Every (key, value) in a schema tree, following `$ref`s (each once per path)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield key, value
            if key == "$ref" and isinstance(value, str) and value not in seen:
                yield from _walk(contract.resolve(value[1:]), contract, seen | {value})
            else:
                yield from _walk(value, contract, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, contract, seen)


def _candidates(schema: Any, contract: Contract) -> list[Any]:
    """Values a field's schema names (its enum or const, default, examples) or samples of its type; for an
    array, one-item arrays of its items' candidates."""
    while isinstance(schema, Mapping) and "$ref" in schema:
        schema = contract.resolve(schema["$ref"][1:])
    if not isinstance(schema, Mapping):
        return []
    if "enum" in schema or "const" in schema:
        return list(schema.get("enum", [])) + ([schema["const"]] if "const" in schema else [])
    found = list(schema.get("examples", [])) + ([schema["default"]] if "default" in schema else [])
    for name in schema["type"] if isinstance(schema.get("type"), list) else [schema.get("type")]:
        found += _TYPED.get(name, [])
    if "items" in schema:
        found += [[item] for item in _candidates(schema["items"], contract)]
    return found


def _bodies(contract: Contract, operation: Operation) -> st.SearchStrategy[Any]:
    """Bodies of the operation's fields (mostly values the contract names, sometimes junk), with and without
    the required ones, with an unknown field; dictionaries of junk; junk."""
    schema: Any = operation.request_schema()
    while isinstance(schema, Mapping) and "$ref" in schema:
        schema = contract.resolve(schema["$ref"][1:])
    properties, required = schema.get("properties", {}), set(schema.get("required", []))
    names = sorted(set(properties) | {k for key, v in _walk(schema, contract) if key == "required" for k in v})
    junk = st.sampled_from(_JUNK) | st.text(max_size=4) | st.integers(-3, 300)

    def field(name: str) -> st.SearchStrategy[Any]:
        fits = _candidates(properties.get(name, {}), contract)
        return st.one_of(st.sampled_from(fits), st.sampled_from(fits), st.sampled_from(fits), junk) if fits else junk

    fields = {name: field(name) for name in names}
    optional = [name for name in names if name not in required]
    chosen = st.lists(st.sampled_from(optional), max_size=3, unique=True) if optional else st.just([])
    with_required = chosen.flatmap(
        lambda extra: st.fixed_dictionaries({name: fields[name] for name in names if name in required or name in extra})
    )
    return st.one_of(
        with_required,
        with_required,
        st.fixed_dictionaries({}, optional=fields),
        with_required.map(lambda body: body | {"unknown_field": 1}),
        st.dictionaries(st.sampled_from(names) if names else st.text(max_size=3), junk, max_size=6),
        junk,
    )


@pytest.mark.parametrize(("contract", "operation"), _OPERATIONS)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_request_body_check_agrees_with_jsonschema(
    contract: Contract, operation: Operation, data: st.DataObject
) -> None:
    accepts, validator = operation._request_accepts, operation._request_validator
    assert accepts is not None and validator is not None  # every contract's request schemas compile
    body = data.draw(_bodies(contract, operation))
    assert accepts(body) == validator.is_valid(body)


# random schemas from the keywords the compiler knows

_NAMES = ["a", "b", "c"]
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False), st.sampled_from(["", "a", "b"])
)
_VALUES = st.recursive(
    _SCALARS | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_NAMES), inner, max_size=3),
    max_leaves=8,
)
_TYPES = st.sampled_from(["string", "integer", "number", "boolean", "array", "object", "null"])
_LEAF_KEYWORDS = st.fixed_dictionaries(
    {},
    optional={
        "type": _TYPES | st.lists(_TYPES, max_size=3),
        "enum": st.lists(_SCALARS, max_size=4),
        "const": _SCALARS,
        "minimum": st.integers(-2, 2) | st.floats(-2, 2, allow_nan=False),
        "exclusiveMaximum": st.integers(-2, 2) | st.floats(-2, 2, allow_nan=False),
        "minLength": st.integers(0, 2),
        "maxLength": st.integers(0, 2),
        "minItems": st.integers(0, 2),
        "maxItems": st.integers(0, 2),
        "minProperties": st.integers(0, 2),
        "maxProperties": st.integers(0, 2),
        "pattern": st.sampled_from(["^a", "b$", "[0-9]", "(?i)^A+$"]),
        "required": st.lists(st.sampled_from(_NAMES), max_size=2),
        "dependentRequired": st.dictionaries(st.sampled_from(_NAMES), st.lists(st.sampled_from(_NAMES), max_size=2)),
        "description": st.just("ignored"),
        "x-message": st.just("ignored"),
    },
)


def _composite(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    parts = st.lists(inner, max_size=3)
    keywords = st.fixed_dictionaries(
        {},
        optional={
            "properties": st.dictionaries(st.sampled_from(_NAMES), inner, min_size=1, max_size=3),
            "additionalProperties": st.booleans() | inner,
            "items": inner,
            "contains": inner,
            "minContains": st.integers(0, 2),
            "maxContains": st.integers(0, 2),
            "allOf": parts,
            "anyOf": parts,
            "oneOf": parts,
            "not": inner,
            "if": inner,
            "then": inner,
            "else": inner,
        },
    )
    return st.tuples(_LEAF_KEYWORDS, keywords).map(lambda pair: pair[0] | pair[1])


_SCHEMAS = st.recursive(st.booleans() | _LEAF_KEYWORDS, _composite, max_leaves=10)


@settings(max_examples=1500, deadline=None)
@given(_SCHEMAS, st.lists(_VALUES, min_size=1, max_size=5))
def test_a_random_schema_compiles_to_the_same_answers_as_jsonschema(schema: Any, values: list[Any]) -> None:
    check = quick_check(schema, lambda pointer: pytest.fail("no $ref here"))
    assert check is not None
    validator = Draft202012Validator(schema)
    assert [check(value) for value in values] == [validator.is_valid(value) for value in values]


# the cases no contract has yet

_TREE_DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "leaf": {"$ref": "#/components/schemas/Leaf"},
                },
            },
            "Leaf": {"oneOf": [{"type": "integer"}, {"$ref": "#/components/schemas/Node"}]},
        }
    }
}


def _resolve(pointer: str) -> Any:
    node: Any = _TREE_DOCUMENT
    for part in pointer.strip("/").split("/"):
        node = node[part]
    return node


_TREES = st.recursive(
    st.fixed_dictionaries({"name": st.sampled_from(["", "n"])}, optional={"leaf": st.integers(0, 2) | st.just("x")}),
    lambda inner: st.fixed_dictionaries(
        {"name": st.sampled_from(["", "n"])},
        optional={"children": st.lists(inner | st.just(7), max_size=3), "leaf": inner, "extra": st.just(1)},
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(_TREES)
def test_recursive_refs_compile_to_functions_that_call_themselves(tree: Any) -> None:
    check = quick_check({"$ref": "#/components/schemas/Node"}, _resolve)
    assert check is not None
    assert check(tree) == Draft202012Validator(_TREE_DOCUMENT | {"$ref": "#/components/schemas/Node"}).is_valid(tree)


def test_a_recursive_ref_accepts_deep_trees_and_finds_a_bad_leaf_deep_down() -> None:
    check = quick_check({"$ref": "#/components/schemas/Node"}, _resolve)
    assert check is not None
    tree: dict[str, Any] = {"name": "leaf", "leaf": 3}
    for depth in range(50):
        tree = {"name": f"n{depth}", "children": [tree], "leaf": {"name": "side"}}
    assert check(tree)
    tree["children"][0]["children"][0]["leaf"] = {"name": ""}
    assert not check(tree)


@pytest.mark.parametrize(
    ("value", "valid"), [(2, True), (5, False), (5.0, False), (2.5, False), ("x", True), (True, True), (None, True)]
)
def test_one_of_counts_the_matching_branches(value: Any, valid: bool) -> None:
    schema = {"oneOf": [{"type": "integer"}, {"minimum": 3}]}  # 5 matches both; a string matches only the bound
    check = quick_check(schema, _resolve)
    assert check is not None
    assert check(value) is valid is Draft202012Validator(schema).is_valid(value)


_TAGS = st.sampled_from(["a", "b", "c", "d"])


def _tagged_branch(tags: list[str], extra: Any, as_const: bool) -> dict[str, Any]:
    fixed = {"const": tags[0]} if as_const else {"enum": tags}
    return {"type": "object", "required": ["t"], "properties": {"t": fixed, "a": extra}}


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.lists(_TAGS, min_size=1, max_size=2), _SCHEMAS, st.booleans()), min_size=1, max_size=4),
    st.booleans(),
    st.lists(st.dictionaries(st.sampled_from(["t", "a"]), _TAGS | _VALUES, max_size=2) | _VALUES, max_size=5),
)
def test_a_one_of_told_apart_by_a_tag_answers_as_jsonschema(
    branches: list[tuple[list[str], Any, bool]], by_ref: bool, values: list[Any]
) -> None:
    """A oneOf of object branches told apart by a required string tag (Ark's content items), with tags shared or
    not, inline or by $ref: the predicate answers as jsonschema does."""
    parts = [_tagged_branch(*branch) for branch in branches]
    document = {"components": {"schemas": {f"B{n}": part for n, part in enumerate(parts)}}}
    schema = {"oneOf": [{"$ref": f"#/components/schemas/B{n}"} for n in range(len(parts))] if by_ref else parts}

    def resolve(pointer: str) -> Any:
        return document["components"]["schemas"][pointer.rsplit("/", 1)[1]]

    check = quick_check(schema, resolve)
    assert check is not None
    validator = Draft202012Validator(document | schema)
    assert [check(value) for value in values] == [validator.is_valid(value) for value in values]


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"kind": "a", "a": 1}, True),
        ({"kind": "a", "b": 1}, False),
        ({"kind": "b", "b": 1}, True),
        ({"b": 1}, True),
        ({"a": 1}, False),
        ({"kind": "a"}, False),
        ("not an object", True),
    ],
)
def test_if_then_else_picks_the_branch(body: Any, valid: bool) -> None:
    schema = {
        "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
        "then": {"required": ["a"]},
        "else": {"required": ["b"]},
    }
    check = quick_check(schema, _resolve)
    assert check is not None
    assert check(body) is valid is Draft202012Validator(schema).is_valid(body)


@pytest.mark.parametrize(
    ("value", "valid"),
    [("https://x/a.PNG", True), ("https://x/a.png?x=1", True), ("https://x/a.mp4", False), (5, True), ("", False)],
)
def test_patterns_search_strings_only(value: Any, valid: bool) -> None:
    schema = {"pattern": r"(?i)\.(png|jpe?g)([?#].*)?$"}
    check = quick_check(schema, _resolve)
    assert check is not None
    assert check(value) is valid is Draft202012Validator(schema).is_valid(value)


def test_names_and_constants_are_data_never_code() -> None:
    hostile, quote = "'] or __import__('os').system('exit 1') or v['", '{x}"'
    text = "\"'\n\\"
    schema: dict[str, Any] = {
        "type": "object",
        "required": [hostile],
        "properties": {hostile: {"const": text, "pattern": "\"'{x}"}, quote: {"type": "integer"}},
        "dependentRequired": {quote: [hostile]},
        "additionalProperties": False,
    }
    check = quick_check(schema, _resolve)
    assert check is not None
    assert check({hostile: text}) is False  # the pattern asks for "'{x}
    schema["properties"][hostile].pop("pattern")
    check = quick_check(schema, _resolve)
    assert check is not None
    assert check({hostile: text}) is True
    assert check({hostile: text, quote: 1}) is True
    assert check({hostile: "other"}) is False
    assert check({quote: 1}) is False
    assert check({hostile: text, "extra": 1}) is False


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "propertyNames": {"maxLength": 3}},
        {"$ref": "#/components/schemas/Unknown"},
        {"if": {"required": ["a"]}, "then": {"prefixItems": [{"type": "string"}]}},
        {"items": {"items": {"prefixItems": [{"const": 1}]}}},
        {"anyOf": [{"type": "string"}, {"uniqueItems": True}]},
        {"properties": {"a": {"$ref": "https://example.com/elsewhere"}}},
        {"enum": [[1, 2], "a"]},
        {"type": "string", "$comment": "not an annotation the compiler knows"},
        {"type": "decimal"},
        {"minimum": "3"},
        {"additionalProperties": {"type": "string"}, "patternProperties": {"^a": {"type": "string"}}},
        [{"type": "string"}],
    ],
)
def test_a_schema_with_a_keyword_it_does_not_know_is_left_to_jsonschema(schema: Any) -> None:
    document = {"components": {"schemas": {"Unknown": {"properties": {"a": {"not": {"unevaluatedItems": False}}}}}}}

    def resolve(pointer: str) -> Any:
        node: Any = document
        for part in pointer.strip("/").split("/"):
            node = node[part]
        return node

    assert quick_check(schema, resolve) is None


@pytest.mark.parametrize(
    ("schema", "value", "valid"),
    [
        ({"contains": {"const": 1}}, [2, 1], True),
        ({"contains": {"const": 1}}, [2, 3], False),
        ({"contains": {"const": 1}}, "not a list", True),
        ({"contains": {"const": 1}, "minContains": 0, "maxContains": 1}, [], True),
        ({"contains": {"const": 1}, "minContains": 0, "maxContains": 1}, [1, 1], False),
        ({"contains": {"const": 1}, "minContains": 2}, [1, 0, 1], True),
        ({"contains": {"const": 1}, "minContains": 2}, [1, 0], False),
        ({"maxContains": 0}, [1], True),
    ],
)
def test_contains_counts_as_jsonschema_does(schema: Any, value: Any, valid: bool) -> None:
    check = quick_check(schema, lambda pointer: None)
    assert check is not None
    assert check(value) is valid is Draft202012Validator(schema).is_valid(value)


def test_the_depth_limit_declines_deep_schemas_and_deep_nesting_still_compiles() -> None:
    schema: Any = {"type": "string"}
    for _ in range(20):
        schema = {"type": "array", "items": schema, "minItems": 1}
    check = quick_check(schema, _resolve)
    assert check is not None  # twenty nested loops: split into functions, inside Python's limits
    value: Any = "x"
    for _ in range(20):
        value = [value]
    assert check(value) and not check([[["x"]]]) and not check(value[0])
    assert quick_check({"type": "array", "items": schema}, _resolve) is None
