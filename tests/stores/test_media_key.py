"""The key that signs result URLs is secret: random at each start unless configured, and shared through a SQLite or
Redis store so that any instance serves a URL any other instance handed out."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from mockserver.media.signing import UrlSigner
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings
from mockserver.stores import open_store
from tests.stores.processes import Served, serving

AUTH = {"Authorization": "Bearer sk-test"}
BODY = {"model": "jimeng-video-3.0", "prompt": "a cat"}


def signature(runtime: MockRuntime) -> str:
    return runtime.signer.sign("/__media/x.mp4", {"w": "64"}, 2_000_000_000)


def test_without_a_configured_secret_each_start_has_its_own_key() -> None:
    first, second = MockRuntime(Settings(seed=0)), MockRuntime(Settings(seed=0))
    assert signature(first) != signature(second)


def test_a_configured_secret_gives_the_same_key_at_every_start() -> None:
    first, second = (MockRuntime(Settings(media_secret="team-key")) for _ in range(2))
    assert signature(first) == signature(second)
    assert signature(first) != signature(MockRuntime(Settings(media_secret="other-key")))


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_instances_on_one_store_share_one_random_key(kind: str, url_of: object) -> None:
    url = url_of(kind)  # type: ignore[operator]
    first, second = (MockRuntime(Settings(store=url)) for _ in range(2))
    try:
        assert signature(first) == signature(second)
        store = open_store(url)
        assert store is not None
        assert store.media_key("another candidate") != "another candidate"  # the first key stays
        store.close()
    finally:
        first.close()
        second.close()


def result_url(served: Served) -> str:
    with httpx.Client(base_url=served.base, timeout=10) as http:
        headers = {**AUTH, "X-Mock-Scenario": "instant"}
        task_id = http.post("/crazyrouter/jimeng/submit/videos", json=BODY, headers=headers).json()["task_id"]
        http.post("/__admin/clock/advance", json={"seconds": 60}).raise_for_status()
        url: str = http.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH).json()["data"]["url"]
    assert url.startswith(served.base)
    return url


def on(served: Served, url: str) -> str:
    """The same URL, asked of another instance."""
    parts = urlsplit(url)
    return f"{served.base}{parts.path}?{parts.query}"


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_any_instance_on_a_shared_store_serves_any_url(kind: str, url_of: object) -> None:
    store = url_of(kind)  # type: ignore[operator]
    flags = ("--clock", "virtual", "--store", store)
    with serving(*flags) as first, serving(*flags) as second:
        url = result_url(first)
        assert httpx.get(on(second, url), timeout=10).status_code == 200
        assert httpx.get(on(first, result_url(second)), timeout=10).status_code == 200


def test_a_url_signed_with_the_old_predictable_key_is_refused() -> None:
    """Reproduction 6: the key was a hash of the seed, so anyone could sign a URL for the largest render."""
    with serving("--clock", "virtual") as served:
        genuine = urlsplit(result_url(served))
        assert httpx.get(f"{served.base}{genuine.path}?{genuine.query}", timeout=10).status_code == 200
        params = {k: v for k, v in parse_qsl(genuine.query) if k not in ("expires", "signature")}
        forger = UrlSigner(hashlib.sha256(b"jimeng-mock-media:0").digest())
        forged = forger.sign(genuine.path, params, 2_000_000_000)
        assert httpx.get(f"{served.base}{genuine.path}?{forged}", timeout=10).status_code == 403
