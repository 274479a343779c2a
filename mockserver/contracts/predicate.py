"""A JSON Schema (the OpenAPI 3.1 / draft 2020-12 subset the contracts use) compiled into one Python function:
source generated once (straight-line type tests, early returns, a nested function per `$ref` target), then
`compile()`d. Only made-up identifiers, fixed templates and `repr()` of plain str, int, bool, None and finite
floats reach the source; any other constant (patterns, sets) is passed in as a bound name."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Check = Callable[[Any], bool]
MAX_DEPTH = 20
ANNOTATIONS = {
    "description", "default", "title", "examples", "deprecated", "readOnly", "writeOnly", "format", "$schema",
}  # fmt: skip
_TYPES = {  # name: (the kind of value, its test)
    "string": ("str", "isinstance({x}, str)"),
    "integer": ("num", "(type({x}) is int or (type({x}) is float and {x}.is_integer()))"),
    "number": ("num", "(type({x}) is int or type({x}) is float)"),
    "boolean": ("bool", "(type({x}) is bool)"),
    "array": ("list", "isinstance({x}, list)"),
    "object": ("dict", "isinstance({x}, dict)"),
    "null": ("null", "({x} is None)"),
}
_GUARDS = {kind: test for name, (kind, test) in _TYPES.items() if name in ("string", "number", "array", "object")}
_BOUNDS = {"minimum": "{x} >=", "maximum": "{x} <=", "exclusiveMinimum": "{x} >", "exclusiveMaximum": "{x} <"}
_LENGTHS = {"minLength": ("str", "len({x}) >="), "maxLength": ("str", "len({x}) <=")}
_LENGTHS |= {"minItems": ("list", "len({x}) >="), "maxItems": ("list", "len({x}) <=")}
_LENGTHS |= {"minProperties": ("dict", "len({x}) >="), "maxProperties": ("dict", "len({x}) <=")}
_SCALARS = (str, int, float, bool, type(None))
_INLINE_RULES = 6  # a sub-schema with more rules than this, or a loop (`items`, `contains`), is a nested function
_SPLIT_EVERY = 6  # every sixth level of nesting is a nested function: Python limits how deep blocks may nest


class Decline(Exception):
    """The schema uses a keyword, or a form of one, that the compiler does not know."""


@dataclass(frozen=True)
class _Rule:
    """One keyword's test. `applies_to` ("str", "num", "list", "dict") names the values it constrains (any
    other value passes it); None: every value. Sub-schemas in `value` are compiled at `depth`."""

    kind: str
    applies_to: str | None
    value: Any
    depth: int


def compile_check(schema: Any, resolve: Callable[[str], Any], depth: int = 0) -> Check | None:
    """`schema` as one predicate, or None when it uses a keyword this module does not know. `resolve` maps a
    JSON pointer (a `$ref` without its leading '#') to its schema."""
    compiler = _Compiler(resolve)
    try:
        top = compiler.function(schema, depth)
    except Decline:
        return None
    return compiler.build(top)


def _rules(schema: Any, depth: int) -> list[_Rule]:
    if schema is True:
        return []
    if schema is False:
        return [_Rule("false", None, None, depth)]
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        raise Decline
    rules = [
        rule
        for key, value in schema.items()
        if not (key.startswith("x-") or key in ANNOTATIONS)
        for rule in _keyword(key, value, schema, depth + 1)
    ]
    return sorted(rules, key=lambda rule: rule.kind != "type")  # first: the rules after rely on the type


def _keyword(key: str, value: Any, schema: Mapping[str, Any], depth: int) -> list[_Rule]:
    if key == "type":
        names = value if isinstance(value, list) else [value]
        if not all(name in _TYPES for name in names):
            raise Decline
        return [_Rule("type", None, names, depth)]
    if key in ("enum", "const"):
        values = list(value) if key == "enum" else [value]
        if not all(type(v) in _SCALARS for v in values):
            raise Decline
        return [_Rule("enum", None, values, depth)]
    if key in _BOUNDS and type(value) in (int, float):
        return [_Rule("compare", "num", (_BOUNDS[key], value), depth)]
    if key in _LENGTHS and type(value) is int:
        applies_to, left = _LENGTHS[key]
        return [_Rule("compare", applies_to, (left, value), depth)]
    if key == "pattern":
        return [_Rule("pattern", "str", re.compile(value), depth)]
    if key == "required":
        return [_Rule("required", "dict", list(value), depth)]
    if key == "dependentRequired":
        return [_Rule("dependent", "dict", {name: list(needs) for name, needs in value.items()}, depth)]
    if key == "items":
        return [_Rule("items", "list", value, depth)]
    if key == "contains":
        low, high = schema.get("minContains", 1), schema.get("maxContains")
        if type(low) is not int or (high is not None and type(high) is not int):
            raise Decline
        return [_Rule("contains", "list", (value, low, high), depth)]
    if key in ("minContains", "maxContains"):
        return []  # applied by "contains"; without it they mean nothing
    if key == "properties" and value:
        return [_Rule("properties", "dict", dict(value), depth)]
    if key == "additionalProperties" and "patternProperties" not in schema:
        if value is True:
            return []
        declared = frozenset(schema.get("properties", {}))
        if value is False:
            return [_Rule("closed", "dict", declared, depth)]
        return [_Rule("additional", "dict", (declared, value), depth)]
    if key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
        if key == "allOf":
            return [rule for part in value for rule in _rules(part, depth)]
        return [_Rule(key, None, value, depth)]
    if key == "not":
        return [_Rule("not", None, value, depth)]
    if key == "if":
        return [_Rule("if", None, (value, schema.get("then", True), schema.get("else", True)), depth)]
    if key in ("then", "else"):
        return []  # applied by "if"; without an "if" they mean nothing
    if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
        return [_Rule("ref", None, value, depth)]
    raise Decline


def _known_kind(rules: list[_Rule]) -> str | None:
    """What every valid value is (a str, a number, ...) when a `type` rule says so."""
    for rule in rules:
        kinds = {_TYPES[name][0] for name in rule.value} if rule.kind == "type" else set()
        if len(kinds) == 1:
            return kinds.pop()
    return None


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


class _Compiler:
    def __init__(self, resolve: Callable[[str], Any]) -> None:
        self.resolve = resolve
        self.constants: dict[str, Any] = {}
        self.functions: list[list[str]] = []
        self.refs: dict[str, str] = {}
        self.counter = itertools.count()

    def build(self, top: str) -> Check:
        lines = [f"def _checks({', '.join(self.constants)}):"]
        for function in self.functions:
            lines += _indent(function)
        lines.append(f"    return {top}")
        namespace: dict[str, Any] = {}
        exec(compile("\n".join(lines), "<schema check>", "exec"), namespace)
        check: Check = namespace["_checks"](*self.constants.values())
        return check

    def name(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def bind(self, value: Any) -> str:
        name = self.name("_k")
        self.constants[name] = value
        return name

    def literal(self, value: Any) -> str:
        plain = value is None or type(value) in (str, bool) or (type(value) is int and abs(value) < 10**18)
        return repr(value) if plain or (type(value) is float and math.isfinite(value)) else self.bind(value)

    def function(self, schema: Any, depth: int) -> str:  # the name of a nested function testing `schema`
        rules = _rules(schema, depth)
        if len(rules) == 1 and rules[0].kind == "ref":  # a bare $ref: the target's own function
            return self.ref(rules[0].value, rules[0].depth)
        name = self.name("_s")
        self.define(name, schema, depth)
        return name

    def ref(self, pointer: str, depth: int) -> str:
        if pointer not in self.refs:  # named before its body is compiled, so a recursive schema calls itself
            self.refs[pointer] = self.name("_r")
            self.define(self.refs[pointer], self.resolve(pointer[1:]), depth)
        return self.refs[pointer]

    def define(self, name: str, schema: Any, depth: int) -> None:
        body = self.block(schema, "v", depth)
        self.functions.append([f"def {name}(v):", *_indent(body), "    return True"])

    def block(self, schema: Any, x: str, depth: int, known: str | None = None) -> list[str]:
        """Statements that `return False` unless the value in variable `x` conforms. `known`: what kind of
        value `x` is already known to be (its type was tested first)."""
        rules = _rules(schema, depth)
        known = _known_kind(rules) or known
        lines: list[str] = []
        groups: dict[str, list[str]] = {}
        for rule in rules:
            statements = self.statements(rule, x, known)
            if rule.applies_to is None or rule.applies_to == known:
                lines += statements
            elif known is None:  # else it cannot apply: the type rule has returned False
                groups.setdefault(rule.applies_to, []).extend(statements)
        for applies_to, statements in groups.items():
            if statements:
                lines += [f"if {_GUARDS[applies_to].format(x=x)}:", *_indent(statements)]
        return lines

    def nested(self, schema: Any, x: str, depth: int, known: str | None = None) -> list[str]:
        if schema is True:
            return []
        if depth % _SPLIT_EVERY == 0:
            return [f"if not {self.function(schema, depth)}({x}): return False"]
        return self.block(schema, x, depth, known)

    def statements(self, rule: _Rule, x: str, known: str | None) -> list[str]:
        if rule.kind == "properties":
            lines = []
            for key, schema in rule.value.items():
                name, value = self.literal(key), self.name("e")
                body = self.nested(schema, value, rule.depth)
                if body:
                    lines += [f"if {name} in {x}:", f"    {value} = {x}[{name}]", *_indent(body)]
            return lines
        if rule.kind == "items":
            item = self.name("e")
            body = self.nested(rule.value, item, rule.depth)
            return [f"for {item} in {x}:", *_indent(body)] if body else []
        if rule.kind == "contains":  # counted in a loop, the item's test inline
            schema, low, high = rule.value
            item, count = self.name("e"), self.name("n")
            bounds = f"{low} <= {count}" + (f" <= {high}" if high is not None else "")
            test = self.valid(schema, item, rule.depth)
            loop = [f"for {item} in {x}:", f"    if {test}: {count} += 1"]
            return [f"{count} = 0", *loop, f"if not ({bounds}): return False"]
        if rule.kind == "if":
            condition = self.valid(rule.value[0], x, rule.depth, known)
            then, otherwise = (self.nested(branch, x, rule.depth, known) for branch in rule.value[1:])
            if not then:
                return [f"if not {condition}:", *_indent(otherwise)] if otherwise else []
            return [f"if {condition}:", *_indent(then), *(["else:", *_indent(otherwise)] if otherwise else [])]
        return [f"if not {self.expression(rule, x, known)}: return False"]

    def valid(self, schema: Any, x: str, depth: int, known: str | None = None) -> str:
        """An expression: does the value `x` (a variable, or an expression without side effects) conform?"""
        if schema is True or schema is False:
            return repr(schema)
        rules = _rules(schema, depth)
        size = sum(len(rule.value) if rule.kind == "properties" else 1 for rule in rules)
        loops = any(rule.kind in ("items", "contains") for rule in rules)  # statements: a function of their own
        if depth % _SPLIT_EVERY == 0 or size > _INLINE_RULES or loops:
            return f"{self.function(schema, depth)}({x})"
        known = _known_kind(rules) or known
        terms = []
        for rule in rules:
            term = self.expression(rule, x, known)
            if rule.applies_to is None or rule.applies_to == known:
                terms.append(term)
            elif known is None:
                terms.append(f"(not {_GUARDS[rule.applies_to].format(x=x)} or {term})")
        return f"({' and '.join(terms)})" if terms else "True"

    def expression(self, rule: _Rule, x: str, known: str | None) -> str:
        """`rule` as a parenthesized expression (or a call) over `x`, for a value it applies to."""
        kind, value, depth = rule.kind, rule.value, rule.depth
        if kind == "type":
            return f"({' or '.join(_TYPES[name][1].format(x=x) for name in value)})" if value else "False"
        if kind == "enum":
            return self.member(value, x)
        if kind == "compare":  # tested as `not (x >= limit)`, never `x < limit`: NaN fails every bound
            return f"({value[0].format(x=x)} {self.literal(value[1])})"
        if kind == "pattern":
            return f"({self.bind(value.search)}({x}) is not None)"
        if kind == "required":
            return f"({' and '.join(f'{self.literal(name)} in {x}' for name in value)})" if value else "True"
        if kind == "dependent":
            terms = [
                f"({self.literal(name)} not in {x} or ({' and '.join(f'{self.literal(n)} in {x}' for n in needs)}))"
                for name, needs in value.items()
                if needs
            ]
            return f"({' and '.join(terms)})" if terms else "True"
        if kind == "closed":
            return f"{self.bind(value)}.issuperset({x})"
        if kind == "additional":
            declared, schema = value
            return f"all({self.function(schema, depth)}(e) for k, e in {x}.items() if k not in {self.bind(declared)})"
        if kind == "properties":
            terms = []
            for key, schema in value.items():
                name = self.literal(key)
                terms.append(f"({name} not in {x} or {self.valid(schema, f'{x}[{name}]', depth)})")
            return f"({' and '.join(terms)})"
        if kind in ("anyOf", "oneOf"):
            parts = [self.valid(part, x, depth, known) for part in value]
            if not parts:
                return "False"
            return f"({' or '.join(parts)})" if kind == "anyOf" else f"(({' + '.join(parts)}) == 1)"
        if kind == "not":
            return f"(not {self.valid(value, x, depth, known)})"
        if kind == "if":
            condition, then, otherwise = (self.valid(part, x, depth, known) for part in value)
            return f"({then} if {condition} else {otherwise})"
        if kind == "ref":
            return f"{self.ref(value, depth)}({x})"
        assert kind == "false", kind
        return "False"

    def member(self, values: list[Any], x: str) -> str:
        """`x` equals one of `values`, type for type, save that an int and a float compare (bool is no number)."""
        terms = [f"({x} is {v!r})" for v in (True, False, None) if any(e is v for e in values)]
        strings = [v for v in values if type(v) is str]
        numbers = [v for v in values if type(v) in (int, float) and v == v]  # NaN equals nothing
        for test, found in ((f"type({x}) is str", strings), (_GUARDS["num"].format(x=x), numbers)):
            if len(found) == 1:
                terms.append(f"({test} and {x} == {self.literal(found[0])})")
            elif found:
                terms.append(f"({test} and {x} in {self.bind(frozenset(found))})")
        return f"({' or '.join(terms)})" if terms else "False"
