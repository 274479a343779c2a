"""Loads `contracts/<provider>.yaml` (OpenAPI 3.1) and answers the questions the mock and the tests ask of it:
is this request valid (and if not, what to tell the client), what does a response look like, what is the
task lifecycle, what errors exist."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from mockserver.contracts.predicate import Check, compile_check
from mockserver.contracts.yaml_cache import load_yaml
from mockserver.engine.lifecycle import Lifecycle

if TYPE_CHECKING:  # jsonschema is imported when first needed: a server that only sees valid bodies never needs it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

CONTRACTS_ENV = "JIMENG_MOCK_CONTRACTS"
_CONTRACT_URI = "urn:jimeng-mock:contract"


class ContractError(Exception):
    """The contract itself is wrong or incomplete."""


@dataclass(frozen=True)
class Violation:
    """Why a request breaks the contract: the field (dotted path, '' for the body) and a sentence for the client."""

    field: str
    message: str


def contracts_dir() -> Traversable:
    """The folder `JIMENG_MOCK_CONTRACTS` names, else the contracts shipped inside the package (package data)."""
    configured = os.environ.get(CONTRACTS_ENV)
    return Path(configured) if configured else files("mockserver.contracts") / "specs"


@cache
def load_contract(name: str) -> Contract:
    folder = contracts_dir()
    if not folder.is_dir():
        raise ContractError(f"no contract folder at {folder}: {_where_contracts_come_from()}")
    try:
        document = load_yaml(folder / f"{name}.yaml")
    except FileNotFoundError:
        raise ContractError(f"no contract {name!r} in {folder}: {_where_contracts_come_from()}") from None
    return Contract(name, document)


def _where_contracts_come_from() -> str:
    if configured := os.environ.get(CONTRACTS_ENV):
        return f"{CONTRACTS_ENV}={configured} must name a folder holding <provider>.yaml for every gateway"
    return "the contracts shipped inside the package are missing; reinstall jimeng-mock"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    spec: Mapping[str, Any]
    contract: Contract

    @cached_property
    def _path_pattern(self) -> re.Pattern[str]:
        path = self.path.partition("?")[0]
        return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")

    @cached_property
    def _query(self) -> frozenset[tuple[str, str]]:
        """The query a path key carries (`/?Action=X&Version=Y`: an Action API serves every operation on one path)."""
        return frozenset(parse_qsl(self.path.partition("?")[2], keep_blank_values=True))

    def matches(self, method: str, path: str) -> bool:
        """`path` may carry a query: it must then hold the path key's own, if any; other parameters do not matter."""
        bare, _, query = path.partition("?")
        if method.lower() != self.method or self._path_pattern.match(bare) is None:
            return False
        return not self._query or self._query <= set(parse_qsl(query, keep_blank_values=True))

    def request_schema(self, media_type: str = "application/json") -> Mapping[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        schema: Mapping[str, Any] | None = content.get(media_type, {}).get("schema")
        return schema

    @cached_property
    def _request_validator(self) -> Draft202012Validator | None:
        pointer = _pointer("paths", self.path, self.method, "requestBody", "content", "application/json", "schema")
        return self.contract.validator(pointer) if self.request_schema() is not None else None

    @cached_property
    def _request_accepts(self) -> Callable[[Any], bool] | None:
        schema = self.request_schema()
        return None if schema is None else quick_check(schema, self.contract.resolve)

    def check_request(self, body: Any) -> Violation | None:
        """The first way `body` breaks the request schema, in the schema's own order (fields before
        cross-field rules), or None when it conforms."""
        accepts = self._request_accepts  # None exactly when there is no request schema
        if accepts is None or accepts(body):
            return None
        from jsonschema.exceptions import best_match

        validator = self._request_validator
        assert validator is not None
        first = next(iter(validator.iter_errors(body)), None)
        return None if first is None else _violation(best_match([first]) or first)

    def responses(self) -> Mapping[str, Any]:
        responses: Mapping[str, Any] = self.spec.get("responses", {})
        return responses

    def response_validator(self, status: int, media_type: str = "application/json") -> Draft202012Validator:
        responses = self.responses()
        key = str(status) if str(status) in responses else "default"
        if key not in responses:
            raise ContractError(f"{self.operation_id} does not document status {status}")
        response, location = responses[key], _pointer("paths", self.path, self.method, "responses", key)
        if "$ref" in response:
            location = response["$ref"].removeprefix("#")
            response = self.contract.resolve(location)
        if media_type not in response.get("content", {}):
            raise ContractError(f"{self.operation_id} {status} has no {media_type} body")
        return self.contract.validator(location + _pointer("content", media_type, "schema"))


class Contract:
    def __init__(self, name: str, document: Mapping[str, Any]) -> None:
        if not str(document.get("openapi", "")).startswith("3.1"):
            raise ContractError(f"{name}: only OpenAPI 3.1 documents are supported")
        self.name = name
        self.document = document
        self._operations = {op.operation_id: op for op in self._walk_operations()}

    def _walk_operations(self) -> Iterator[Operation]:
        for path, item in self.document.get("paths", {}).items():
            for method, spec in item.items():
                if method in {"get", "post", "put", "patch", "delete", "head"}:
                    if "operationId" not in spec:
                        raise ContractError(f"{self.name}: {method.upper()} {path} has no operationId")
                    yield Operation(spec["operationId"], method, path, spec, self)

    def operation(self, operation_id: str) -> Operation:
        try:
            return self._operations[operation_id]
        except KeyError:
            raise ContractError(f"{self.name}: no operation {operation_id!r}") from None

    def match(self, method: str, path: str) -> Operation | None:
        """The operation serving `method path` (a path relative to the gateway's base URL)."""
        return next((op for op in self._operations.values() if op.matches(method, path)), None)

    @property
    def operations(self) -> Mapping[str, Operation]:
        return self._operations

    @cached_property
    def _registry(self) -> Registry[Any]:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        registry: Registry[Any] = Registry().with_resource(
            _CONTRACT_URI, Resource.from_contents(self.document, default_specification=DRAFT202012)
        )
        return registry

    def validator(self, pointer: str) -> Draft202012Validator:
        from jsonschema import Draft202012Validator

        return Draft202012Validator({"$ref": f"{_CONTRACT_URI}#{pointer}"}, registry=self._registry)

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def schema_validator(self, name: str) -> Draft202012Validator:
        return self.validator(_pointer("components", "schemas", name))

    def schema(self, name: str) -> Mapping[str, Any]:
        schema: Mapping[str, Any] = self.document["components"]["schemas"][name]
        return schema

    def extension(self, name: str) -> Any:
        if name not in self.document:
            raise ContractError(f"{self.name}: the contract has no {name}")
        return self.document[name]

    @property
    def client_base_path(self) -> str:
        """What a client appends to the gateway's address to get its base URL (`/v1` for an OpenAI SDK), or ''."""
        declared: dict[str, Any] = self.document.get("x-client-base-path", {})
        return str(declared.get("value", ""))

    @cached_property
    def lifecycle(self) -> Lifecycle:
        return Lifecycle.from_contract(self.extension("x-lifecycle"))

    def error(self, reference: str) -> Mapping[str, Any] | None:
        """A catalogue entry by its name, else the first entry listing `reference` among its `kinds`."""
        if reference in self.errors:
            return self.errors[reference]
        return next((e for e in self.errors.values() if reference in e.get("kinds", ())), None)

    @cached_property
    def errors(self) -> Mapping[str, Mapping[str, Any]]:
        """The error catalogue, by name: each with its HTTP status, code, message and whether a retry may help."""
        return {entry["name"]: entry for entry in self.extension("x-errors")}


def _pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _violation(error: ValidationError) -> Violation:
    field = ".".join(str(part) for part in error.absolute_path)
    node: Any = error
    while node is not None:
        message = node.schema.get("x-message") if isinstance(node.schema, Mapping) else None
        if message:
            return Violation(field, str(message).format(value=node.instance, field=field))
        node = node.parent
    return Violation(field, f"{field}: {error.message}" if field else error.message)


def quick_check(schema: Any, resolve: Callable[[str], Any], depth: int = 0) -> Check | None:
    """The schema compiled to a Python predicate, exact for the keywords it knows: a valid request skips the
    validator, an invalid one still goes to it for its message (PERFORMANCE.md: the compiled request predicate).
    None when the schema uses any other keyword: then jsonschema alone decides."""
    return compile_check(schema, resolve, depth)
