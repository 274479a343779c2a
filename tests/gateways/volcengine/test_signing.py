"""Signature V4 as the mock checks it: recomputed from what the client sent and listed, refused in the gateway's
ResponseMetadata envelope with Volcengine's codes."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from volcengine.auth.SignerV4 import SignerV4
from volcengine.base.Request import Request as SdkRequest
from volcengine.Credentials import Credentials

from mockserver.core.clock import DEFAULT_VIRTUAL_START, SystemClock
from mockserver.core.volc_v4 import (
    DATE_FORMAT,
    KeyPair,
    canonical_request,
    hex_sha256,
    sign,
    signature,
    signing_key,
)
from mockserver.gateways.volcengine.signing import _parse_date
from tests.gateways.volcengine.helpers import PAIR, SUBMIT, T2V, call, gateway_error, submit, task_id_of
from tests.support import ContractClient, make_client

BODY = {"req_key": T2V, "prompt": "a cat"}


@pytest.fixture(scope="module")
def client() -> Iterator[ContractClient]:
    with make_client(seed=0) as made:
        yield made


def test_the_mocks_signer_agrees_with_the_official_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SignerV4, "get_current_format_date", staticmethod(lambda: "20260102T030405Z"))
    request = SdkRequest()
    request.set_method("POST")
    request.set_path("/")
    request.set_query({"Action": "CVSync2AsyncSubmitTask", "Version": "2022-08-31"})
    request.set_headers({"Host": "127.0.0.1:8000", "Content-Type": "application/json", "User-Agent": "sdk"})
    request.body = '{"req_key": "jimeng_t2v_v30", "prompt": "一只猫"}'
    SignerV4.sign(request, Credentials("AKLTone", "secret-one", "cv", "cn-north-1"))
    ours = sign(
        KeyPair("AKLTone", "secret-one"),
        "POST",
        "/",
        [("Action", "CVSync2AsyncSubmitTask"), ("Version", "2022-08-31")],
        "127.0.0.1:8000",
        request.body.encode(),
        now=1767323045.0,  # 2026-01-02T03:04:05Z
    )
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours["X-Content-Sha256"] == request.headers["X-Content-Sha256"]


@settings(max_examples=25, deadline=None)
@given(prompt=st.text(min_size=1, max_size=40), flip=st.integers(min_value=0, max_value=10_000))
def test_any_signed_body_is_accepted_and_any_changed_byte_refused(prompt: str, flip: int) -> None:
    with make_client(seed=0) as client:
        raw = json.dumps({"req_key": T2V, "prompt": prompt, "seed": 7}, ensure_ascii=False).encode()
        signed = sign(
            PAIR,
            "POST",
            "/volcengine/",
            list(zip(("Action", "Version"), SUBMIT, strict=True)),
            "testserver",
            raw,
            now=SystemClock().now(),
        )
        url = "/volcengine/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31"
        assert client.post(url, content=raw, headers=signed).status_code in (200, 400)
        changed = bytearray(raw)
        changed[flip % len(raw)] ^= 0x01
        refused = client.post(url, content=bytes(changed), headers=signed)
        assert gateway_error(refused, 401)["Code"] == "SignatureDoesNotMatch"


def test_the_headers_the_client_lists_are_the_ones_checked(client: ContractClient) -> None:
    """The Go SDK signs every X- header: verified over what was listed, whatever the set."""
    raw = json.dumps(BODY).encode()
    x_date = SystemClock().now()
    headers = sign(
        PAIR, "POST", "/volcengine/", [("Action", SUBMIT[0]), ("Version", SUBMIT[1])], "testserver", raw, now=x_date
    )
    lowered = {name.lower(): value for name, value in headers.items()} | {"x-request-source": "go-sdk"}
    listed = ["content-type", "host", "x-content-sha256", "x-date", "x-request-source"]
    canonical = canonical_request(
        "POST", "/volcengine/", [("Action", SUBMIT[0]), ("Version", SUBMIT[1])], lowered, listed, hex_sha256(raw)
    )
    scope = f"{lowered['x-date'][:8]}/cn-north-1/cv/request"
    authorization = (
        f"HMAC-SHA256 Credential={PAIR.access_key}/{scope}, SignedHeaders={';'.join(listed)}, "
        f"Signature={signature(PAIR.secret_key, lowered['x-date'], 'cn-north-1', 'cv', canonical)}"
    )
    url = "/volcengine/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31"
    sent = headers | {"X-Request-Source": "go-sdk", "Authorization": authorization}
    assert client.post(url, content=raw, headers=sent).status_code == 200
    tampered = client.post(url, content=raw, headers=sent | {"X-Request-Source": "other"})
    assert gateway_error(tampered, 401)["Code"] == "SignatureDoesNotMatch"
    unlisted = client.post(url, content=raw, headers=sent | {"User-Agent": "changed"})
    assert unlisted.status_code == 200


def test_the_region_is_the_clients_scope_and_is_echoed(client: ContractClient) -> None:
    assert call(client, SUBMIT, BODY, region="cn-beijing").status_code == 200
    refused = call(client, SUBMIT, BODY, region="cn-beijing", pair=KeyPair(PAIR.access_key, "wrong"))
    metadata = refused.json()["ResponseMetadata"]
    assert refused.status_code == 401 and metadata["Region"] == "cn-beijing"
    assert metadata["Error"]["CodeN"] == 100010


def test_a_request_signed_for_the_path_below_the_mount_is_accepted(client: ContractClient) -> None:
    raw = json.dumps(BODY).encode()
    signed = sign(
        PAIR, "POST", "/", [("Action", SUBMIT[0]), ("Version", SUBMIT[1])], "testserver", raw, now=SystemClock().now()
    )
    assert (
        client.post(
            "/volcengine/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31", content=raw, headers=signed
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("authorization", "status", "code", "code_n"),
    [
        (None, 401, "MissingAuthenticationToken", 100003),
        ("Bearer sk-test", 401, "MissingAuthenticationToken", 100003),
        ("HMAC-SHA256 Credential=AK, SignedHeaders=host", 400, "MissingRequestInfo", 100004),
        (
            "HMAC-SHA256 Credential=AK/20260101/cn-north-1/cv/request, SignedHeaders=host",
            401,
            "MissingSignature",
            100005,
        ),
        (
            "HMAC-SHA256 Credential=AKx/20260101/cn-north-1/cv/request, SignedHeaders=host, Signature=ab",
            401,
            "InvalidAccessKey",
            100009,
        ),
    ],
)
def test_what_is_missing_is_named(
    client: ContractClient, authorization: str | None, status: int, code: str, code_n: int
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post("/volcengine/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31", json=BODY, headers=headers)
    error = gateway_error(response, status)
    assert (error["Code"], error["CodeN"]) == (code, code_n)
    metadata = response.json()["ResponseMetadata"]
    assert (metadata["Action"], metadata["Version"], metadata["Service"]) == (*SUBMIT, "cv")


def test_x_date_within_15_minutes_of_the_machines_or_the_mocks_clock(client: ContractClient) -> None:
    wall = SystemClock().now()
    assert call(client, SUBMIT, BODY, now=wall - 14 * 60).status_code == 200
    assert call(client, SUBMIT, BODY, now=client.runtime.clock.now() + 60).status_code == 200
    error = gateway_error(call(client, SUBMIT, BODY, now=wall - 16 * 60), 403)
    assert (error["Code"], error["CodeN"]) == ("InvalidTimestamp", 100006)
    assert client.runtime.clock.now() == DEFAULT_VIRTUAL_START  # the virtual clock never moved


def test_action_and_version_route_the_request_before_its_signature(client: ContractClient) -> None:
    missing = client.post("/volcengine/?Version=2022-08-31", json=BODY)
    assert gateway_error(missing, 400) == {
        "CodeN": 100002,
        "Code": "MissingParameter",
        "Message": "The request must contain the parameter Action",
    }
    wrong_version = call(client, ("CVCancelTask", "2022-08-31"), {"req_key": T2V, "task_id": "1"})
    assert gateway_error(wrong_version, 404)["Code"] == "InvalidActionOrVersion"
    other_path = client.post("/volcengine/api/v1?Action=CVSync2AsyncSubmitTask&Version=2022-08-31", json=BODY)
    assert gateway_error(other_path, 404)["Code"] == "InvalidActionOrVersion"
    assert gateway_error(client.get("/volcengine/"), 404)["CodeN"] == 100008


def test_configured_pairs_replace_the_default_one() -> None:
    with make_client(seed=0, api_keys=frozenset({"AKLTmine|my-secret", "sk-other-gateways"})) as client:
        refused = call(client, SUBMIT, BODY)
        assert (
            gateway_error(refused, 401)["Message"]
            == f"The accesskey [{PAIR.access_key}] included in the request is invalid."
        )
        task_id_of(call(client, SUBMIT, BODY, pair=KeyPair("AKLTmine", "my-secret")))


def test_a_task_is_its_access_keys_own() -> None:
    mine, theirs = KeyPair("AKLTmine", "s1"), KeyPair("AKLTtheirs", "s2")
    with make_client(seed=0, api_keys=frozenset({str(mine), str(theirs)})) as client:
        task_id = task_id_of(call(client, SUBMIT, BODY, pair=mine))
        read = call(client, ("CVSync2AsyncGetResult", "2022-08-31"), {"req_key": T2V, "task_id": task_id}, pair=theirs)
        assert read.json()["data"]["status"] == "not_found"
        assert submit(client).status_code == 401  # the default pair is not among the configured ones


@settings(max_examples=300)
@given(
    st.one_of(
        st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)).map(
            lambda moment: moment.strftime(DATE_FORMAT)
        ),
        st.from_regex(r"\A[0-9]{8}T[0-9]{6}Z\Z"),
        st.text(alphabet="0123456789TZ-:+ ²٣", max_size=18),
    )
)
def test_x_date_is_read_as_strptime_reads_the_sdks_format(text: str) -> None:
    try:
        expected: float | None = float(calendar.timegm(time.strptime(text, DATE_FORMAT)))
    except ValueError:
        expected = None
    if expected is not None and text[13:15] in ("60", "61"):
        expected = None  # strptime's leap seconds: no SDK writes one, and no datetime holds one
    assert _parse_date(text) == expected


def test_a_signing_key_is_derived_once_per_scope() -> None:
    signing_key.cache_clear()
    first = signing_key("secret", "20261206", "cn-north-1", "cv")
    assert signing_key("secret", "20261206", "cn-north-1", "cv") is first
    assert signing_key("secret", "20261207", "cn-north-1", "cv") != first
    chained = b"secret"
    for part in ("20261206", "cn-north-1", "cv", "request"):
        chained = hmac.new(chained, part.encode(), hashlib.sha256).digest()
    assert first == chained
