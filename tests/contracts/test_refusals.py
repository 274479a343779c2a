"""`x-refuses-schema-valid`: the responses with which a gateway refuses a request its schema allows (what a schema
cannot see: an image's bytes, a task id that does not exist). The fuzz suite lets exactly these through its
"valid data is accepted" check, so each must be a 4xx saying what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.contracts.contract import load_contract
from mockserver.gateways import PROVIDER_IDS

MARK = "x-refuses-schema-valid"


def marked(document: Any) -> list[tuple[str, str, str, Any]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                for status, response in operation["responses"].items():
                    if MARK in response:
                        found.append((path, method, str(status), response[MARK]))
    return found


@pytest.mark.parametrize("provider", PROVIDER_IDS)
def test_refusals_of_schema_valid_requests_are_4xx_that_say_what_they_refuse(provider: str) -> None:
    for path, method, status, because in marked(load_contract(provider).document):
        assert status.isdigit() and 400 <= int(status) < 500, f"{method} {path}: {status}"
        assert isinstance(because, str) and len(because) > 10, f"{method} {path}: say what the schema cannot see"


def test_the_known_refusals_are_marked() -> None:
    """The images' bytes and unknown task ids, on every gateway that checks them."""
    marks = {provider: {(m, p) for p, m, _, _ in marked(load_contract(provider).document)} for provider in PROVIDER_IDS}
    assert ("post", "/jimeng/submit/videos") in marks["crazyrouter"]
    assert ("get", "/jimeng/fetch/{task_id}") in marks["crazyrouter"]
    assert ("post", "/task/jimeng/image2video") in marks["gptge"]
    assert {("post", "/v1/videos"), ("get", "/v1/videos/{video_id}")} <= marks["octopusx"]
    assert ("post", "/v1/images/compositions") in marks["jimeng2api"]
