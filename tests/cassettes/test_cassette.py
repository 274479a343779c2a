"""The cassette format: a lossless round trip, secrets redacted, bad files refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.cassettes import Cassette, CassetteError, Interaction, redact_body, redact_headers, redact_query


def interaction(**changes: object) -> Interaction:
    fields: dict[str, object] = {
        "time": 1767225600.0,
        "method": "POST",
        "path": "/crazyrouter/jimeng/submit/videos",
        "query": "",
        "request_headers": {"content-type": "application/json"},
        "request_body": b'{"prompt":"a cat"}',
        "status": 200,
        "response_headers": {"content-type": "application/json"},
        "response_body": b'{"id":"1"}',
    }
    fields.update(changes)
    return Interaction(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_byte(tmp_path: Path) -> None:
    binary = interaction(method="GET", response_body=b"\x00\x00\x00\x20ftypisom\xff", status=206)
    chinese = interaction(request_body='{"prompt":"一只橘猫"}'.encode())
    cassette = Cassette([interaction(), binary, chinese], seed=7, scenarios={"1": "moderation_fail"}, source="x")
    path = tmp_path / "c.json"
    cassette.save(path)
    loaded = Cassette.load(path)
    assert loaded == cassette
    assert json.loads(path.read_text())["interactions"][1]["response"]["body"].keys() == {"base64"}
    assert loaded.to_json() == cassette.to_json()


def test_secret_headers_are_redacted() -> None:
    headers = redact_headers(
        [
            ("Authorization", "Bearer sk-real"),
            ("X-Api-Key", "k"),
            ("Cookie", "sessionid=1"),
            ("Content-Type", "application/json"),
        ]
    )
    assert headers == {"authorization": "***", "x-api-key": "***", "cookie": "***", "content-type": "application/json"}


def test_secret_json_fields_are_redacted_at_any_depth() -> None:
    body = b'{"token":"abc","data":{"sessionid":"s","items":[{"api_key":"k","prompt":"p"}]},"prompt":"keep"}'
    assert json.loads(redact_body(body)) == {
        "token": "***",
        "data": {"sessionid": "***", "items": [{"api_key": "***", "prompt": "p"}]},
        "prompt": "keep",
    }
    assert redact_body(b"not json") == b"not json"


def test_counts_of_tokens_are_no_secret_and_a_body_without_one_passes_byte_for_byte() -> None:
    answer = b'{"id": "cgt-1", "usage": {"completion_tokens": 108900, "total_tokens": 108900}}'
    assert redact_body(answer) == answer  # as sent: spaces and order kept
    masked = json.loads(redact_body(b'{"access_token": "t", "usage": {"total_tokens": 3}}'))
    assert masked == {"access_token": "***", "usage": {"total_tokens": 3}}


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("key=sk-1", "key=***"),
        ("api_key=sk-1&limit=2", "api_key=***&limit=2"),
        ("after=3&access_token=t&Token=u&limit=2", "after=3&access_token=***&Token=***&limit=2"),
        ("api%5Fkey=sk-1", "api%5Fkey=***"),
        ("client_secret=s&password=p&sessionid=x", "client_secret=***&password=***&sessionid=***"),
        ("Action=CVProcess&Version=2022-08-31", "Action=CVProcess&Version=2022-08-31"),
        ("req_key=jimeng_t2v_v30&monkey=1&keyword=a&tokens=3", "req_key=jimeng_t2v_v30&monkey=1&keyword=a&tokens=3"),
        ("key=&key", "key=&key"),
        ("", ""),
    ],
)
def test_secret_query_parameters_are_redacted(query: str, shown: str) -> None:
    assert redact_query(query) == shown


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"version": 2, "interactions": []}', '{"version": 1}', '{"version": 1, "interactions": [{}]}'],
)
def test_bad_cassettes_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(CassetteError, match=str(path)):
        Cassette.load(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="not a readable cassette"):
        Cassette.load(tmp_path / "nope.json")
