"""Issue 22's reproductions, one request each: every one is a 4xx in the gateway's own error format (the contract
client holds each answer to the gateway's contract), never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import AUTH, ContractClient, make_client

JSON_SUBMITS = {
    "crazyrouter": "/crazyrouter/jimeng/submit/videos",
    "gptge": "/gptge/task/jimeng/text2video",
    "octopusx": "/octopusx/v1/videos",
    "jimmyai": "/jimmyai/api/open-api/v1/seedance/videos",
    "jimeng2api": "/jimeng2api/v1/videos/generations",
    "admin": "/__admin/clock/advance",
}
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[ContractClient]:
    with make_client() as test_client:
        yield test_client


@pytest.mark.parametrize("where", JSON_SUBMITS)
def test_json_nested_past_the_interpreter_stack_is_a_400(client: ContractClient, where: str) -> None:
    body = b"[" * 1025 + b"]" * 1025
    response = client.post(JSON_SUBMITS[where], content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert "deep" in response.text


@pytest.mark.parametrize("where", JSON_SUBMITS)
def test_json_nested_past_the_setting_is_a_400_naming_it(where: str) -> None:
    with make_client(max_json_depth=3) as shallow:
        response = shallow.post(JSON_SUBMITS[where], content=b'{"a": [[[1]]]}', headers=JSON)
        assert response.status_code == 400, response.text
        assert "4 deep: the limit is 3" in response.text


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    with make_client(max_json_depth=2) as shallow:
        prompt = "[[[{{{" * 20
        response = shallow.post(JSON_SUBMITS["admin"], json={"seconds": 1, "note": prompt}, headers=JSON)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("where", JSON_SUBMITS)
def test_an_integer_of_more_than_4300_digits_is_a_400(client: ContractClient, where: str) -> None:
    body = b'{"seconds": ' + b"7" * 5000 + b', "duration": ' + b"7" * 5000 + b"}"
    response = client.post(JSON_SUBMITS[where], content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert "4300 digits" in response.text
