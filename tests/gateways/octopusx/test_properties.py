"""Property tests: any text in any field gets a 200 or a 400 in new-api's shape, never a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateways.octopusx.support import create
from tests.support import make_client

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=900)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prompt=TEXT,
    seconds=st.one_of(st.sampled_from(["5", "10", "15"]), TEXT),
    size=st.one_of(st.sampled_from(["720x1280", "1280x720"]), TEXT),
)
def test_any_form_fields_get_a_gateway_answer(prompt: str, seconds: str, size: str) -> None:
    with make_client() as client:
        response = create(client, prompt=prompt, seconds=seconds, size=size)
        valid = 1 <= len(prompt) <= 800 and seconds in ("5", "10", "15") and size in ("720x1280", "1280x720")
        assert response.status_code == (200 if valid else 400), response.text
        if not valid:
            assert response.json()["code"] == "invalid_request"
