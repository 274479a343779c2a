"""Submit to expired URL, without sleeping: the virtual clock does the waiting."""

from __future__ import annotations

import io

import av
import pytest

from tests.support import ContractClient, fetch, make_client, png_base64, run_to_end, submit


def decode(data: bytes) -> tuple[int, int, int, float, float]:
    """width, height, decoded frame count, frame rate, duration in seconds."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        rate = stream.average_rate
        assert rate is not None
        assert stream.duration is not None and stream.time_base is not None
        duration = float(stream.duration * stream.time_base)
        return stream.codec_context.width, stream.codec_context.height, frames, float(rate), duration


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"prompt": "an orange cat yawning", "duration": 5, "aspect_ratio": "9:16"}, (1080, 1920, 121)),
        ({"prompt": "an orange cat yawning", "duration": 10, "aspect_ratio": "16:9"}, (1920, 1080, 241)),
        ({"prompt": "a push-in", "image_url": "https://example.com/a.png", "aspect_ratio": "21:9"}, (2176, 928, 121)),
    ],
)
def test_submit_poll_download_decode_expire(
    client: ContractClient, body: dict[str, object], expected: tuple[int, int, int]
) -> None:
    task_id = submit(client, **body).json()["id"]
    run_to_end(client, task_id)
    url = fetch(client, task_id)["url"]

    video = client.get(url)
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert 1_000 < len(video.content) < 200_000
    width, height, frames, fps, duration = decode(video.content)
    assert (width, height, frames) == expected
    assert fps == 24
    assert duration == pytest.approx(expected[2] / 24, abs=1e-3)

    client.runtime.clock.advance(86400)
    expired = client.get(url)
    assert expired.status_code == 403
    assert "Request has expired" in expired.text
    assert expired.headers["content-type"].startswith("application/xml")


def test_video_follows_the_uploaded_image(client: ContractClient) -> None:
    task_id = submit(client, binary_data_base64=[png_base64(1200, 1200, "JPEG")], duration=10).json()["id"]
    run_to_end(client, task_id)
    width, height, frames, _, _ = decode(client.get(fetch(client, task_id)["url"]).content)
    assert (width, height, frames) == (1440, 1440, 241)


def test_url_lifetime_counts_from_completion_and_is_a_setting() -> None:
    with make_client(provider_options={"crazyrouter": {"url_ttl": 3600}}) as client:
        task_id = submit(client, prompt="a cat").json()["id"]
        run_to_end(client, task_id, step=1)
        url = fetch(client, task_id)["url"]
        finished = client.get(f"/__admin/tasks/{task_id}").json()["finished_at"]
        client.runtime.clock.set(finished + 3599)
        assert client.get(url).status_code == 200
        client.runtime.clock.set(finished + 3600)
        assert client.get(url).status_code == 403


def test_each_task_has_its_own_deterministic_video(client: ContractClient) -> None:
    first, second = (submit(client, prompt=f"cat {n}").json()["id"] for n in range(2))
    for task_id in (first, second):
        run_to_end(client, task_id)
    a, b = (client.get(fetch(client, t)["url"]).content for t in (first, second))
    assert a != b
    assert client.get(fetch(client, first)["url"]).content == a
