"""Query through the whole lifecycle on the virtual clock: success to URL expiry, failure, task expiry,
and the MP4 each model renders."""

from __future__ import annotations

import io

import av
import pytest

from tests.gateways.jimmyai.table import MODELS, QUERY, SIZES, create, minimal, query, ref, run_to_end
from tests.support import AUTH, ContractClient, make_client

DAY = 86400


def decode(data: bytes) -> tuple[int, int, int, float]:
    """width, height, decoded frames, duration in seconds."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert stream.duration is not None and stream.time_base is not None
        return (
            stream.codec_context.width,
            stream.codec_context.height,
            frames,
            float(stream.duration * stream.time_base),
        )


def test_submit_to_success_to_url_expiry(client: ContractClient) -> None:
    submitted = create(client, minimal("seedance2.0-std", duration=6, ratio="21:9")).json()["data"]
    seen = run_to_end(client, submitted["task_id"], step=2)
    statuses = [data["status"] for data in seen]
    assert statuses[0] == "queued" and statuses[-1] == "completed"
    assert set(statuses) == {"queued", "processing", "completed"}
    assert statuses == sorted(statuses, key=["queued", "processing", "completed"].index)
    for data in seen:
        expected = {"queued": (0, 0), "processing": (1, 99), "completed": (100, 100)}[data["status"]]
        assert expected[0] <= data["progress"] <= expected[1]
        assert data["model"] == "seedance2.0-std" and data["created_at"] == submitted["created_at"]
    progress = [d["progress"] for d in seen]
    assert progress == sorted(progress)

    done = seen[-1]
    assert done["error_message"] is None and done["result"]["image_url"] is None
    finished = client.get(f"/__admin/tasks/{submitted['task_id']}").json()["finished_at"]
    assert done["completed_at"] == int(finished)
    url = done["result"]["video_url"]
    video = client.get(url)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    *facts, seconds = decode(video.content)
    assert facts == [1504, 640, 144]
    assert seconds == pytest.approx(6.0, abs=1e-3)

    client.runtime.clock.set(finished + 3 * DAY - 1)
    assert client.get(url).status_code == 200
    assert query(client, submitted["task_id"])["result"]["video_url"] == url
    client.runtime.clock.set(finished + 3 * DAY)
    expired = client.get(url)
    assert expired.status_code == 403 and "Request has expired" in expired.text


def test_submit_to_failure(client: ContractClient) -> None:
    body = minimal("seedance2.0-fast-sp", duration=4)
    task_id = create(client, body, **{"X-Mock-Scenario": "jimmyai_failed"}).json()["data"]["task_id"]
    seen = run_to_end(client, task_id, step=1)
    assert [d["status"] for d in seen][-1] == "failed"
    assert "processing" in [d["status"] for d in seen]
    assert max(d["progress"] for d in seen) <= 50
    failed = seen[-1]
    assert failed["progress"] == 0 and failed["result"] is None and failed["completed_at"] is None
    assert failed["error_message"] == "video generation failed"
    client.runtime.clock.advance(DAY)
    assert query(client, task_id) == failed


def test_the_old_mock_error_header_does_nothing(client: ContractClient) -> None:
    headers = {"X-Mock-Error": "content moderation rejected the output"}
    task_id = create(client, minimal("seedance2.0-std"), **headers).json()["data"]["task_id"]
    assert run_to_end(client, task_id)[-1]["status"] == "completed"


def test_task_ids_expire_after_seven_days(client: ContractClient) -> None:
    task_id = create(client, minimal("seedance2.0-std")).json()["data"]["task_id"]
    client.runtime.clock.advance(7 * DAY - 1)
    assert query(client, task_id)["status"] == "completed"
    client.runtime.clock.advance(1)
    response = client.get(QUERY + task_id, headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"code": "40400", "msg": f"task not found: {task_id}", "data": None}


@pytest.mark.parametrize("task_id", ["vid_0000000000000000", "nope", "12345", "vid_" + "a" * 200])
def test_unknown_task_ids(client: ContractClient, task_id: str) -> None:
    response = client.get(QUERY + task_id, headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"code": "40400", "msg": f"task not found: {task_id}", "data": None}


def test_another_gateways_task_is_unknown_here(client: ContractClient) -> None:
    crazy = client.post(
        "/crazyrouter/jimeng/submit/videos", json={"model": "jimeng-video-3.0", "prompt": "a"}, headers=AUTH
    ).json()["id"]
    assert client.get(QUERY + crazy, headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("model", "fields", "size"),
    [
        ("seedance2.0-std", {}, SIZES["720p"]["16:9"]),
        ("seedance2.0-std", {"resolution": "1080p", "ratio": "9:16"}, SIZES["720p"]["9:16"]),
        ("seedance2.0-md", {"ratio": "1:1", "duration": 1}, SIZES["720p"]["1:1"]),
        ("seedance2.0-fast-i2v", {"ratio": "4:3"}, SIZES["720p"]["4:3"]),
        ("seedance2.0-sp", {"resolution": "480p", "ratio": "21:9"}, SIZES["480p"]["21:9"]),
        ("seedance2.0-of-sp", {"resolution": "1080p", "ratio": "3:4"}, SIZES["1080p"]["3:4"]),
        ("seedance2.0-mini", {"resolution": "1080p"}, SIZES["1080p"]["16:9"]),
        ("seedance2.0-mini-sp", {"resolution": "480p", "ratio": "9:16"}, SIZES["480p"]["9:16"]),
        ("sd2_mx_1080p", {"orientation": "portrait"}, SIZES["1080p"]["9:16"]),
        ("sd2_mx_2k", {"ratio": "1:1"}, SIZES["2k"]["1:1"]),
        ("sd2_mx_video_4k", {"duration": 12}, SIZES["4k"]["16:9"]),
        ("sd2_mx_fast_720p", {"ratio": "adaptive", "orientation": "portrait"}, SIZES["720p"]["9:16"]),
    ],
)
def test_output_matches_the_task(
    client: ContractClient, model: str, fields: dict[str, object], size: tuple[int, int]
) -> None:
    task_id = create(client, minimal(model, **fields)).json()["data"]["task_id"]
    url = run_to_end(client, task_id, step=30)[-1]["result"]["video_url"]
    seconds = int(str(fields.get("duration", 5)))
    *facts, duration = decode(client.get(url).content)
    assert facts == [*size, seconds * 24]
    assert duration == pytest.approx(seconds, abs=1e-3)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_completes_with_a_video(client: ContractClient, model: str) -> None:
    body = minimal(model)
    if MODELS[model].videos:
        body["reference_videos"] = [ref(model, "vid")]
    task_id = create(client, body).json()["data"]["task_id"]
    done = run_to_end(client, task_id, step=30)[-1]
    assert done["status"] == "completed" and done["progress"] == 100
    assert client.head(done["result"]["video_url"]).status_code == 200


def test_fast_models_and_low_resolutions_finish_sooner() -> None:
    def seconds_to_finish(model: str) -> float:
        with make_client(seed=7) as client:
            task_id = create(client, minimal(model, duration=10)).json()["data"]["task_id"]
            run_to_end(client, task_id, step=1)
            task = client.get(f"/__admin/tasks/{task_id}").json()
            return float(task["finished_at"] - task["created_at"])

    assert seconds_to_finish("sd2_mx_fast_1080p") < seconds_to_finish("sd2_mx_1080p") < seconds_to_finish("sd2_mx_4k")


def test_url_and_task_lifetimes_are_settings() -> None:
    options = {"jimmyai": {"url_ttl": 60, "task_ttl": 3600, "timings": {"queued": 1, "processing": 2}}}
    with make_client(provider_options=options) as client:
        task_id = create(client, minimal("seedance2.0-std")).json()["data"]["task_id"]
        client.runtime.clock.advance(3)
        url = query(client, task_id)["result"]["video_url"]
        client.runtime.clock.advance(59)
        assert client.get(url).status_code == 200
        client.runtime.clock.advance(1)
        assert client.get(url).status_code == 403
        client.runtime.clock.advance(3600)
        assert client.get(QUERY + task_id, headers=AUTH).status_code == 404
