"""JSON in and out on the hot path: read_json accepts exactly what json.loads accepts, with the same values;
JsonResponse writes what Starlette's JSONResponse writes."""

from __future__ import annotations

import asyncio
import json
import math
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver.gateways.jimeng2api import body as jimeng2api_body
from mockserver.gateways.jimeng2api.errors import Jimeng2ApiError
from mockserver.gateways.kit.http import (
    UNREAD,
    JsonResponse,
    MalformedJson,
    Rendered,
    bearer_token,
    dump_json,
    header,
    note,
    public_base,
    quick_loads,
    read_json,
    without_lone_surrogates,
)

_FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or 1e-4 <= abs(f) < 1e16)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    _FLOATS,
    st.text(),
    st.sampled_from(["中文", 'é\n\t"\\']),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(_JSON)
def test_the_body_is_starlettes_byte_for_byte(content: Any) -> None:
    assert JsonResponse(content).body == JSONResponse(content).body


@given(_JSON, _JSON, st.sampled_from([0, 2**70]))
def test_a_rendered_value_is_written_as_the_value_itself(kept: Any, beside: Any, number: int) -> None:
    # 2**70 sends the envelope to json, which has to write the rendered value too
    envelope = {"data": Rendered(kept), "beside": beside, "n": number}
    assert dump_json(envelope) == dump_json({"data": kept, "beside": beside, "n": number})
    assert JsonResponse(Rendered(kept)).body == JsonResponse(kept).body
    assert json.loads(bytes(JsonResponse(envelope).body)) == json.loads(
        bytes(JSONResponse({**envelope, "data": kept}).body)
    )


@given(
    st.sampled_from([101, 199, 200, 201, 204, 304, 400, 404, 429, 500]),
    st.none() | st.dictionaries(
        st.sampled_from(["X-Id", "Retry-After", "Content-Type", "content-length", "X-Oneapi-Request-Id",
                         "Content-Disposition", "CONTENT-LENGTH"]),
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=8), max_size=3),
)  # fmt: skip
def test_headers_are_starlettes(status: int, headers: dict[str, str] | None) -> None:
    mine, theirs = JsonResponse({"a": 1}, status, headers), JSONResponse({"a": 1}, status, headers)
    assert (mine.status_code, mine.raw_headers) == (theirs.status_code, theirs.raw_headers)


def test_what_orjson_cannot_write_goes_to_json() -> None:
    huge = {"n": 2**70, "nested": [10**30]}
    assert dump_json(huge) == json.dumps(huge, separators=(",", ":")).encode()


def _read(body: bytes) -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    return asyncio.run(read_json(request, 1 << 20))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


_FRAGMENTS = st.sampled_from(
    [
        '{"a":',
        "[",
        "]",
        "}",
        ",",
        '"x"',
        '"\\ud800"',
        "NaN",
        "-Infinity",
        "1e400",
        "12345678901234567890",
        '"12345678901234567890"',  # a long run of digits in a string: not a number
        "0.12345678901234567890",
        "1234567890",  # two of these: digits enough for a long number, but no run of them
        "-9223372036854775809",
        "0.1",
        "1E2",
        "true",
        "null",
        " ",
        "\ufeff",
        '"é"',
        "01",
        "-",
        '"\\u00e9"',
    ]
)


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        _JSON.map(lambda value: json.dumps(value).encode()),
        st.lists(_FRAGMENTS, max_size=8).map(lambda parts: "".join(parts).encode()),
        st.binary(max_size=12),
    )
)
def test_read_json_accepts_what_json_accepts_with_the_same_values(body: bytes) -> None:
    """The same values, but for lone surrogates: read as U+FFFD (as Go reads them), never kept."""
    try:
        expected: Any = without_lone_surrogates(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError):
        expected = MalformedJson
    try:
        got: Any = _read(body)
    except MalformedJson:
        got = MalformedJson
    assert got is MalformedJson if expected is MalformedJson else _same(got, expected)


@pytest.mark.parametrize(
    "body",
    [
        b'{"req_key": "jimeng_t2v_v30", "task_id": "12345678901234567890"}',
        b'["1e12345678901234567890", 12345678901234567]',
        b'"-12345678901234567890"',
    ],
)
def test_a_long_run_of_digits_that_is_no_integer_is_read_by_orjson(body: bytes) -> None:
    """A Volcengine poll names its task by a 19- or 20-digit id in a string: nothing for json to read instead."""
    assert quick_loads(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b"98765432109876543210",  # past 2**64
        b'{"n":98765432109876543210}',
        b"[1, -12345678901234567890]",  # past -2**63
        b'{"n":\n 98765432109876543210}',
        b'{"id": "12345678901234567890", "f": 0.5}',  # a float among digits enough for a long integer
    ],
)
def test_a_long_integer_is_left_to_json(body: bytes) -> None:
    """orjson reads an integer past 64 bits as a float: with digits enough for one, a float is json's to read."""
    assert quick_loads(body) is UNREAD


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        _JSON.map(lambda value: json.dumps(value).encode()),
        st.lists(_FRAGMENTS | st.sampled_from(["'", "{a:", ",}", "\u00a0"]), max_size=8).map(
            lambda parts: "".join(parts).encode()
        ),
        st.binary(max_size=12),
    )
)
def test_jimeng2api_reads_a_body_as_without_orjson(body: bytes) -> None:
    def outcome(parse: Callable[[bytes], Any]) -> Any:
        try:
            return parse(body)
        except Jimeng2ApiError as exc:
            return (exc.status, exc.body())

    got, expected = outcome(jimeng2api_body.parse_json), outcome(jimeng2api_body.parse_json_slowly)
    assert got == expected if isinstance(expected, tuple) else _same(got, expected)


@given(st.lists(st.tuples(st.sampled_from([b"authorization", b"host", b"x-a"]), st.binary(max_size=6)), max_size=4))
def test_a_header_is_read_as_starlette_reads_it(raw: list[tuple[bytes, bytes]]) -> None:
    request = Request({"type": "http", "headers": raw})
    for name in ("authorization", "Host", "x-a", "x-missing"):
        assert header(request, name.lower().encode("latin-1")) == request.headers.get(name, "")


def test_a_note_is_the_requests_state() -> None:
    request = Request({"type": "http", "headers": []})
    note(request, "task_id", "t-1")
    assert request.state.task_id == "t-1"
    assert Request(request.scope).state.task_id == "t-1"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Bearer sk-1", "sk-1"),
        ("  bearer   sk-1  ", "sk-1"),
        ("BEARER sk 1", "sk 1"),
        ("Bearer ", None),
        ("Bearer", None),
        ("", None),
        ("   ", None),
        ("Basic dXNlcg==", ""),
        ("sk-1", ""),
    ],
)
def test_a_bearer_key_is_the_header_after_its_scheme(header: str, key: str | None) -> None:
    request = Request({"type": "http", "headers": [(b"authorization", header.encode("latin-1"))]})
    assert bearer_token(request) == key


def test_no_authorization_header_is_no_key() -> None:
    assert bearer_token(Request({"type": "http", "headers": []})) is None


def test_a_rendered_body_holds_no_more_memory_than_its_length() -> None:
    # orjson's own output keeps a 4 KiB block: a thousand journaled answers would hold 4 MiB
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [dump_json({"code": "success", "data": {"n": n, "url": "x" * 200}}) for n in range(200)]
        per_body = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert per_body < 2 * len(kept[0])


@given(
    st.sampled_from(["http", "https"]),
    st.one_of(st.none(), st.binary(min_size=1, max_size=12)),
    st.one_of(st.none(), st.tuples(st.text("abc019.", max_size=6), st.integers(0, 65535))),
)
def test_the_public_base_is_the_address_starlette_reads_from_any_scope(
    scheme: str, host: bytes | None, server: Any
) -> None:
    headers = [(b"host", host)] if host is not None else []
    request = Request({"type": "http", "scheme": scheme, "headers": headers, "server": server, "path": "/x"})
    try:
        expected = f"{request.url.scheme}://{request.url.netloc}"
    except ValueError:  # a Host header Starlette cannot read: the server's address
        bare = Request({"type": "http", "scheme": scheme, "headers": [], "server": server, "path": "/x"})
        expected = f"{bare.url.scheme}://{bare.url.netloc}"
    assert public_base(request, None) == expected
    assert public_base(request, "https://mock.example/") == "https://mock.example"


def test_lone_surrogates_are_read_as_replacement_characters_and_pairs_are_kept() -> None:
    assert _read(b'{"\\udfff": ["a\\ud800", "\\ud83d\\ude00"]}') == {"\ufffd": ["a\ufffd", "\U0001f600"]}
