"""Body matching on replay: a value equals itself, a redacted field matches anything, a change is named."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockserver.cassettes.cassette import REDACTED
from mockserver.cassettes.matching import difference

LEAVES = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
FIELDS = st.text(alphabet="abcxyz_", min_size=1, max_size=6)
DOCUMENTS = st.dictionaries(
    FIELDS, st.recursive(LEAVES, lambda inner: st.dictionaries(FIELDS, inner, max_size=3), max_leaves=8), max_size=5
)


def redact_top(document: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {k: REDACTED if k in names else v for k, v in document.items()}


@given(document=DOCUMENTS)
def test_a_body_matches_itself(document: dict[str, Any]) -> None:
    assert difference(document, document) is None


@given(document=DOCUMENTS, data=st.data())
def test_redacted_fields_match_any_value(document: dict[str, Any], data: st.DataObject) -> None:
    names = data.draw(st.sets(st.sampled_from(sorted(document)))) if document else set()
    sent = {k: (data.draw(LEAVES) if k in names else v) for k, v in document.items()}
    assert difference(redact_top(document, names), sent) is None


@given(document=DOCUMENTS, data=st.data())
def test_a_changed_field_is_named(document: dict[str, Any], data: st.DataObject) -> None:
    name = data.draw(FIELDS)
    value = data.draw(LEAVES)
    sent = document | {name: [value]}  # a list: never equal to what the document holds there
    found = difference(document, sent)
    assert found is not None and found.startswith(f"body field {name}:")
