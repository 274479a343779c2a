"""JsonResponse writes what Starlette's JSONResponse writes, faster."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from mockserver.providers.http import JsonResponse, dump_json

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


def test_headers_are_starlettes() -> None:
    mine, theirs = (
        JsonResponse({"a": 1}, status_code=201, headers={"X-Id": "7"}),
        JSONResponse({"a": 1}, 201, {"X-Id": "7"}),
    )
    assert (mine.status_code, mine.raw_headers) == (theirs.status_code, theirs.raw_headers)


def test_what_orjson_cannot_write_goes_to_json() -> None:
    huge = {"n": 2**70, "nested": [10**30]}
    assert dump_json(huge) == json.dumps(huge, separators=(",", ":")).encode()
