"""The same seed and the same requests give the same bytes: task ids, request ids, time_elapsed, videos."""

from __future__ import annotations

import math
from statistics import NormalDist
from types import SimpleNamespace

import pytest

from mockserver.core.clock import VirtualClock
from mockserver.core.randomness import TOKEN_BLOCK, RandomSource
from mockserver.gateways.gptge.envelope import ELAPSED_MS, SUCCESS, envelope
from tests.gateways.gptge.helpers import BASE, I2V, T2V
from tests.support import AUTH, ContractClient, make_client, png_base64

IMAGE = png_base64(640, 480)


def conversation(client: ContractClient) -> list[bytes]:
    transcript: list[bytes] = []
    ids = []
    for path, body, headers in (
        (T2V, {"prompt": "a cat", "aspect_ratio": "21:9"}, {}),
        (I2V, {"prompt": "a cat turns", "binary_data_base64": [IMAGE]}, {}),
        (T2V, {"prompt": "a cat", "seed": 9}, {"X-Mock-Scenario": "gptge_50516"}),
        (T2V, {"prompt": "x" * 151}, {}),
        (T2V, {"prompt": "a cat"}, {"X-Mock-Scenario": "gptge_50430"}),
    ):
        response = client.post(path, json=body, headers={**AUTH, **headers})
        transcript.append(response.content)
        if response.status_code == 200:
            ids.append(response.json()["data"]["task_id"])
    for _ in range(30):
        client.runtime.clock.advance(4)
        for task_id in ids:
            response = client.get(f"{BASE}/task/{task_id}", headers=AUTH)
            transcript.append(response.content)
            url = response.json()["data"]["video_url"]
            if url:
                transcript.append(client.get(url).content)
    return transcript


def test_same_seed_same_bytes() -> None:
    """Result URLs are signed with `media_secret`: byte for byte needs it configured (random at each start)."""
    with make_client(seed=77, media_secret="k") as first, make_client(seed=77, media_secret="k") as second:
        assert conversation(first) == conversation(second)


def test_another_seed_other_ids_request_ids_and_timings() -> None:
    with make_client(seed=1) as first, make_client(seed=2) as second:
        a, b = conversation(first), conversation(second)
        assert a[0] != b[0]
        assert a != b


def test_reset_replays_the_same_run(client: ContractClient) -> None:
    before = conversation(client)
    client.post("/__admin/reset", json={})
    assert conversation(client) == before


@pytest.mark.parametrize("kind", sorted(ELAPSED_MS))
def test_request_ids_and_times_elapsed_are_the_seeded_tokens_of_each_answer(kind: str) -> None:
    """Each answer's request-id suffix and time_elapsed are what its own number's tokens give: upper-case hex, and a
    lognormal time around the kind's median written with six decimals."""
    context = SimpleNamespace(provider_id="gptge", randomness=RandomSource(11), clock=VirtualClock(0.0))
    tokens = RandomSource(11)
    for number in range(1, 2 * TOKEN_BLOCK + 5):
        answer = envelope(context, SUCCESS, "Success", None, kind)  # type: ignore[arg-type]
        assert answer["request_id"] == "19700101080000" + tokens.numbered_token("gptge:request-id", number, 20).upper()
        draw = NormalDist().inv_cdf((int(tokens.numbered_token("gptge:elapsed", number, 16), 16) + 0.5) / 2**64)
        assert answer["time_elapsed"] == f"{math.exp(math.log(ELAPSED_MS[kind]) + 0.5 * draw):.6f}ms"
