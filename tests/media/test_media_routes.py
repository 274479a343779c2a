"""The media CDN: HEAD, Range (206, 416), ETag (304), and 403 for expired or altered URLs."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.support import ContractClient, fetch, run_to_end, submit


@pytest.fixture
def video_url(client: ContractClient) -> str:
    task_id = submit(client, prompt="a cat").json()["id"]
    run_to_end(client, task_id)
    url: str = fetch(client, task_id)["url"]
    return url


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return parts._replace(query=urlencode(query)).geturl()


def test_full_download_headers(client: ContractClient, video_url: str) -> None:
    response = client.get(video_url)
    assert response.status_code == 200
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["etag"].startswith('"') and len(response.headers["etag"]) == 42
    assert response.content[4:8] == b"ftyp"


def test_head_has_the_headers_and_no_body(client: ContractClient, video_url: str) -> None:
    full = client.get(video_url)
    head = client.head(video_url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(full.content))
    assert head.headers["etag"] == full.headers["etag"]
    assert head.headers["content-type"] == "video/mp4"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-64", -64, None), ("bytes=10-10", 10, 10)],
)
def test_range_requests(client: ContractClient, video_url: str, header: str, first: int, last: int | None) -> None:
    full = client.get(video_url).content
    response = client.get(video_url, headers={"Range": header})
    assert response.status_code == 206
    start = first if first >= 0 else len(full) + first
    end = len(full) - 1 if last is None else last
    assert response.content == full[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(full)}"
    assert response.headers["content-length"] == str(end - start + 1)


def test_range_past_the_end_is_416(client: ContractClient, video_url: str) -> None:
    size = len(client.get(video_url).content)
    response = client.get(video_url, headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"


def test_head_with_range(client: ContractClient, video_url: str) -> None:
    response = client.head(video_url, headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.headers["content-length"] == "10"


def test_matching_etag_is_304(client: ContractClient, video_url: str) -> None:
    etag = client.get(video_url).headers["etag"]
    response = client.get(video_url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert client.get(video_url, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"w": "1280"},
        {"h": "720"},
        {"frames": "241"},
        {"color": "000000"},
        {"expires": "9999999999"},
        {"signature": "0" * 64},
        {"signature": ""},
    ],
)
def test_tampered_urls_are_403(client: ContractClient, video_url: str, change: dict[str, str]) -> None:
    response = client.get(with_query(video_url, **change))
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text


def test_tampered_path_is_403(client: ContractClient, video_url: str) -> None:
    response = client.get(video_url.replace("/generate/", "/generate/1"))
    assert response.status_code == 403


def test_url_without_query_is_403(client: ContractClient, video_url: str) -> None:
    assert client.get(video_url.split("?")[0]).status_code == 403


def test_media_fetches_are_journaled(client: ContractClient, video_url: str) -> None:
    client.get(video_url)
    entry = client.runtime.journal.entries(path="/__media/")[-1]
    assert entry.status == 200 and entry.response_body == ""


def test_a_range_of_more_digits_than_python_converts_is_416_not_500(client: ContractClient, video_url: str) -> None:
    response = client.get(video_url, headers={"Range": "bytes=" + "9" * 5000 + "-"})
    assert response.status_code == 416
    assert response.headers["content-range"].startswith("bytes */")
