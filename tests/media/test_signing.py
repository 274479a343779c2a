from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.media.signing import ExpiredError, SignatureError, UrlSigner

SECRET = b"test-secret"
PATH = "/__media/crazyrouter/7312345678901234567.mp4"
PARAMS = {"w": "1280", "h": "720", "frames": "121", "seed": "42"}
EXPIRES = 1_800_000_000


@pytest.fixture
def signer() -> UrlSigner:
    return UrlSigner(SECRET)


def signed(
    signer: UrlSigner, path: str = PATH, params: dict[str, str] | None = None, expires: int = EXPIRES
) -> dict[str, str]:
    query = signer.sign(path, PARAMS if params is None else params, expires)
    return dict(parse_qsl(query, keep_blank_values=True))


def test_sign_gives_params_expiry_and_a_hex_signature(signer: UrlSigner) -> None:
    query = signer.sign(PATH, PARAMS, EXPIRES)
    pairs = parse_qsl(query)
    assert [k for k, _ in pairs] == ["w", "h", "frames", "seed", "expires", "signature"]
    fields = dict(pairs)
    assert fields["expires"] == str(EXPIRES)
    assert len(fields["signature"]) == 64
    assert set(fields["signature"]) <= set("0123456789abcdef")


def test_sign_is_deterministic(signer: UrlSigner) -> None:
    assert signer.sign(PATH, PARAMS, EXPIRES) == UrlSigner(SECRET).sign(PATH, PARAMS, EXPIRES)


def test_sign_does_not_depend_on_parameter_order(signer: UrlSigner) -> None:
    reordered = dict(reversed(list(PARAMS.items())))
    assert signed(signer, params=reordered)["signature"] == signed(signer)["signature"]


def test_round_trip_returns_the_signed_fields(signer: UrlSigner) -> None:
    assert signer.verify(PATH, signed(signer), EXPIRES - 1) == {**PARAMS, "expires": str(EXPIRES)}


def test_round_trip_with_no_params(signer: UrlSigner) -> None:
    assert signer.verify("/x", signed(signer, "/x", {}), 0) == {"expires": str(EXPIRES)}


def test_round_trip_with_characters_that_need_escaping(signer: UrlSigner) -> None:
    params = {"prompt": "a cat & a dog = 2 pets? ✓", "path": "a/b c"}
    assert signer.verify(PATH, signed(signer, params=params), 0) == {**params, "expires": str(EXPIRES)}


def test_not_expired_just_before_expires(signer: UrlSigner) -> None:
    assert signer.verify(PATH, signed(signer), EXPIRES - 0.001)["expires"] == str(EXPIRES)


@pytest.mark.parametrize("now", [EXPIRES, EXPIRES + 0.001, EXPIRES + 86400])
def test_expired_at_and_after_expires(signer: UrlSigner, now: float) -> None:
    with pytest.raises(ExpiredError):
        signer.verify(PATH, signed(signer), now)


def test_expired_is_not_a_signature_error() -> None:
    assert not issubclass(ExpiredError, SignatureError)
    assert not issubclass(SignatureError, ExpiredError)


@pytest.mark.parametrize(
    "path",
    [
        "/__media/crazyrouter/7312345678901234568.mp4",
        PATH + "x",
        PATH[:-1],
        PATH.upper(),
        "",
    ],
)
def test_changed_path(signer: UrlSigner, path: str) -> None:
    with pytest.raises(SignatureError):
        signer.verify(path, signed(signer), 0)


@pytest.mark.parametrize(("key", "value"), [("w", "1920"), ("h", ""), ("seed", "42 "), ("frames", "241")])
def test_changed_param(signer: UrlSigner, key: str, value: str) -> None:
    query = signed(signer) | {key: value}
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


@pytest.mark.parametrize(("key", "value"), [("download", "1"), ("x", ""), ("W", "1280")])
def test_added_param(signer: UrlSigner, key: str, value: str) -> None:
    query = signed(signer) | {key: value}
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


@pytest.mark.parametrize("key", list(PARAMS))
def test_removed_param(signer: UrlSigner, key: str) -> None:
    query = signed(signer)
    del query[key]
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


@pytest.mark.parametrize("expires", [str(EXPIRES + 1), str(EXPIRES - 1), str(EXPIRES * 10), "0" + str(EXPIRES)])
def test_changed_expires(signer: UrlSigner, expires: str) -> None:
    query = signed(signer) | {"expires": expires}
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


def test_removed_expires(signer: UrlSigner) -> None:
    query = signed(signer)
    del query["expires"]
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


@pytest.mark.parametrize("signature", ["", "0" * 64, "deadbeef", "x"])
def test_bad_signature(signer: UrlSigner, signature: str) -> None:
    query = signed(signer) | {"signature": signature}
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


def test_signature_with_changed_case(signer: UrlSigner) -> None:
    query = signed(signer)
    query["signature"] = query["signature"].upper()
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


def test_missing_signature(signer: UrlSigner) -> None:
    query = signed(signer)
    del query["signature"]
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


@pytest.mark.parametrize("expires", ["soon", "1.5", "", "1e9"])
def test_non_integer_expires_is_a_signature_error_even_when_signed(signer: UrlSigner, expires: str) -> None:
    query = dict(parse_qsl(signer.sign(PATH, PARAMS, expires), keep_blank_values=True))  # type: ignore[arg-type]
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


def test_non_integer_expires_in_a_tampered_url(signer: UrlSigner) -> None:
    query = signed(signer) | {"expires": "never"}
    with pytest.raises(SignatureError):
        signer.verify(PATH, query, 0)


def test_another_secret_fails(signer: UrlSigner) -> None:
    query = signed(signer)
    with pytest.raises(SignatureError):
        UrlSigner(b"other-secret").verify(PATH, query, 0)
    with pytest.raises(SignatureError):
        UrlSigner(SECRET[:-1]).verify(PATH, query, 0)


def test_signature_error_names_the_path(signer: UrlSigner) -> None:
    with pytest.raises(SignatureError, match=r"^/other$"):
        signer.verify("/other", signed(signer), 0)


def flip(text: str, index: int, replacement: str) -> str:
    return text[:index] + replacement + text[index + 1 :]


ASCII = st.characters(min_codepoint=32, max_codepoint=126)
# a decoded URL never holds lone surrogates (Starlette and uvicorn decode with errors="replace")
UNICODE = st.characters(exclude_categories=["Cs"])


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_flipping_one_character_of_a_query_value_fails(data: st.DataObject) -> None:
    signer = UrlSigner(SECRET)
    query = signed(signer)
    key = data.draw(st.sampled_from(sorted(query)), label="key")
    value = query[key]
    index = data.draw(st.integers(0, len(value) - 1), label="index")
    # the signature is hex: keep its replacement ASCII (see the note on non-ASCII signatures in the report)
    alphabet = ASCII if key == "signature" else UNICODE
    replacement = data.draw(alphabet.filter(lambda c: c != value[index]), label="replacement")
    tampered = query | {key: flip(value, index, replacement)}
    with pytest.raises(SignatureError):
        signer.verify(PATH, tampered, 0)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_flipping_one_character_of_the_path_fails(data: st.DataObject) -> None:
    signer = UrlSigner(SECRET)
    query = signed(signer)
    index = data.draw(st.integers(0, len(PATH) - 1), label="index")
    replacement = data.draw(UNICODE.filter(lambda c: c != PATH[index]), label="replacement")
    with pytest.raises(SignatureError):
        signer.verify(flip(PATH, index, replacement), query, 0)


@settings(max_examples=50, deadline=None)
@given(
    path=st.text(min_size=1, max_size=40),
    params=st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in ("expires", "signature")),
        st.text(max_size=20),
        max_size=4,
    ),
    expires=st.integers(1, 2**40),
)
def test_round_trip_for_any_path_and_params(path: str, params: dict[str, str], expires: int) -> None:
    signer = UrlSigner(SECRET)
    query = dict(parse_qsl(signer.sign(path, params, expires), keep_blank_values=True))
    assert signer.verify(path, query, expires - 1) == {**params, "expires": str(expires)}
    with pytest.raises(ExpiredError):
        signer.verify(path, query, expires)


@given(
    secret=st.binary(max_size=130),
    path=st.text(min_size=1, max_size=40),
    params=st.dictionaries(st.sampled_from(["w", "h", "fps", "frames", "color", "ä b"]), st.text(max_size=12)),
    expires=st.integers(0, 2**40),
)
def test_the_signature_is_hmac_sha256_of_the_canonical_query(
    secret: bytes, path: str, params: dict[str, str], expires: int
) -> None:
    fields = {**params, "expires": str(expires)}
    canonical = f"{path}?{urlencode(sorted(fields.items()))}".encode()
    query = dict(parse_qsl(UrlSigner(secret).sign(path, params, expires), keep_blank_values=True))
    assert query["signature"] == hmac.new(secret, canonical, hashlib.sha256).hexdigest()
