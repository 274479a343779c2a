"""One seeded random source: the same seed and the same requests give byte-identical responses."""

from __future__ import annotations

from tests.support import AUTH, ContractClient, make_client, png_base64

IMAGE = png_base64(640, 480)


def conversation(client: ContractClient) -> list[bytes]:
    """A fixed script of submits, polls, clock moves and downloads; every response body and request id."""
    transcript: list[bytes] = []
    ids = []
    for body in (
        {"prompt": "a cat", "duration": 10},
        {"binary_data_base64": [IMAGE]},
        {"prompt": "move", "image_url": "https://a/b.png", "template_id": "handheld"},
        {"prompt": "bad", "frames": 7},
    ):
        response = client.post(
            "/crazyrouter/jimeng/submit/videos", json={"model": "jimeng-video-3.0", **body}, headers=AUTH
        )
        transcript += [response.content, response.headers["x-oneapi-request-id"].encode()]
        ids.append(response.json()["id"])
    for _ in range(40):
        client.runtime.clock.advance(7)
        for task_id in ids:
            response = client.get(f"/crazyrouter/jimeng/fetch/{task_id}", headers=AUTH)
            transcript += [response.content, response.headers["x-oneapi-request-id"].encode()]
            url = response.json()["data"]["url"]
            if url:
                transcript.append(client.get(url).content)
    return transcript


def test_same_seed_same_bytes() -> None:
    """Result URLs are signed with `media_secret`: byte for byte needs it configured (random at each start)."""
    with make_client(seed=1234, media_secret="k") as first, make_client(seed=1234, media_secret="k") as second:
        assert conversation(first) == conversation(second)


def test_another_seed_other_ids_and_timings() -> None:
    with make_client(seed=1) as first, make_client(seed=2) as second:
        a, b = conversation(first), conversation(second)
        assert a[0] != b[0]
        assert a != b


def test_reset_replays_the_same_run(client: ContractClient) -> None:
    before = conversation(client)
    client.post("/__admin/reset", json={})
    assert conversation(client) == before
