"""Retrieve, content, list and delete on the virtual clock: queued -> in_progress -> completed | failed -> expiry."""

from __future__ import annotations

import io

import av
import httpx2
import pytest
from PIL import Image

from tests.gateways.octopusx.support import VIDEOS, create, created_id, error_body, finish, retrieve
from tests.support import AUTH, ContractClient, deleted_meanwhile, make_client


def content(client: ContractClient, video_id: str, variant: str | None = None) -> httpx2.Response:
    params = {} if variant is None else {"variant": variant}
    return client.get(f"{VIDEOS}/{video_id}/content", params=params, headers=AUTH)


def test_success_lifecycle_through_content_and_url_expiry(client: ContractClient) -> None:
    video_id = created_id(create(client, seconds="10", size="1280x720"))
    seen = finish(client, video_id)
    statuses = [body["status"] for body in seen]
    assert statuses[0] == "queued" and statuses[-1] == "completed"
    assert "in_progress" in statuses
    assert statuses == sorted(statuses, key=["queued", "in_progress", "completed"].index)
    progress = [body["progress"] for body in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    assert all(0 < body["progress"] < 100 for body in seen if body["status"] == "in_progress")
    for body in seen[:-1]:
        assert not {"completed_at", "expires_at", "video_url", "error"} & set(body)
        assert (body["seconds"], body["size"]) == ("10", "1280x720")

    done = seen[-1]
    finished = client.get(f"/__admin/tasks/{video_id}").json()["finished_at"]
    assert done["completed_at"] == int(finished)
    assert done["expires_at"] == int(finished) + 3600
    assert "error" not in done

    video = client.get(done["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    download = content(client, video_id)
    assert download.status_code == 200 and download.content == video.content
    with av.open(io.BytesIO(video.content), mode="r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
        assert sum(1 for _ in container.decode(stream)) == 241

    client.runtime.clock.set(done["expires_at"] - 1)
    assert client.get(done["video_url"]).status_code == 200
    assert content(client, video_id).status_code == 200
    client.runtime.clock.set(done["expires_at"])
    assert client.get(done["video_url"]).status_code == 403
    expired = error_body(content(client, video_id), 502)
    assert expired["error"]["code"] == "content_expired" and expired["error"]["type"] == "server_error"
    assert retrieve(client, video_id)["status"] == "completed"  # the task outlives its files


@pytest.mark.parametrize("trigger", ["header", "prompt tag"])
def test_failure_lifecycle(client: ContractClient, trigger: str) -> None:
    if trigger == "header":
        response = create(client, headers={"X-Mock-Scenario": "octopusx_moderation"})
    else:
        response = create(client, prompt="a cat [[mock:octopusx_moderation]]")
    video_id = created_id(response)
    seen = finish(client, video_id)
    failed = seen[-1]
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "2043", "message": "视频生成结果未通过审核"}
    assert failed["progress"] == 60
    assert "completed_at" in failed and "expires_at" not in failed and "video_url" not in failed
    assert [body["status"] for body in seen[:-1]] == sorted(
        (body["status"] for body in seen[:-1]), key=["queued", "in_progress"].index
    )
    client.runtime.clock.advance(10)
    assert retrieve(client, video_id) == failed  # terminal stays terminal
    not_ready = error_body(content(client, video_id), 400)
    assert not_ready["error"]["message"].startswith("Task is not completed yet, current status: failed")


def test_retrieve_sends_the_poll_after_header_scaled_by_the_clock(client: ContractClient) -> None:
    video_id = created_id(create(client))

    def hint() -> str:
        return client.get(f"{VIDEOS}/{video_id}", headers=AUTH).headers["openai-poll-after-ms"]

    assert hint() == "100"  # a virtual clock: waiting moves nothing, so the smallest hint
    client.runtime.clock.run(scale=1.0)
    assert hint() == "5000"  # real time: the gateway's own interval
    client.runtime.clock.run(scale=0.02)
    assert hint() == "100"  # a clock 50 times faster: 5 s of gateway time pass in 0.1 s
    client.runtime.clock.run(scale=0.5)
    assert hint() == "2500"
    client.runtime.clock.run(scale=0.001)
    assert hint() == "100"  # never below the minimum: 5 ms would have clients poll in a tight loop


def test_unknown_and_expired_ids(client: ContractClient) -> None:
    body = error_body(client.get(f"{VIDEOS}/video_nope", headers=AUTH), 400)
    assert body == {"code": "task_not_exist", "message": "task_not_exist", "data": None}
    video_id = created_id(create(client))
    client.runtime.clock.advance(7 * 86400)
    assert error_body(client.get(f"{VIDEOS}/{video_id}", headers=AUTH), 400)["code"] == "task_not_exist"


def test_task_lifetime_and_url_lifetime_are_settings() -> None:
    with make_client(
        provider_options={"octopusx": {"url_ttl": 60, "task_ttl": 600, "timings": {"queued": 1, "in_progress": 2}}}
    ) as client:
        video_id = created_id(create(client))
        client.runtime.clock.advance(3)
        done = retrieve(client, video_id)
        assert done["status"] == "completed" and done["expires_at"] == done["created_at"] + 3 + 60
        client.runtime.clock.advance(600)
        assert error_body(client.get(f"{VIDEOS}/{video_id}", headers=AUTH), 400)["code"] == "task_not_exist"


def test_poll_keyed_timings() -> None:
    with make_client(
        provider_options={"octopusx": {"timings": {"queued": {"polls": 1}, "in_progress": {"polls": 2}}}}
    ) as client:
        video_id = created_id(create(client))
        assert [retrieve(client, video_id)["status"] for _ in range(4)] == [
            "queued",
            "in_progress",
            "in_progress",
            "completed",
        ]


@pytest.mark.parametrize(
    ("variant", "content_type", "fmt"), [("thumbnail", "image/webp", "WEBP"), ("spritesheet", "image/jpeg", "JPEG")]
)
def test_image_variants(client: ContractClient, variant: str, content_type: str, fmt: str) -> None:
    video_id = created_id(create(client, size="1280x720"))
    finish(client, video_id)
    response = content(client, video_id, variant)
    assert response.status_code == 200 and response.headers["content-type"] == content_type
    image = Image.open(io.BytesIO(response.content))
    assert image.format == fmt
    if variant == "thumbnail":
        assert image.size == (1280, 720)


def test_content_supports_range_and_head(client: ContractClient) -> None:
    video_id = created_id(create(client))
    finish(client, video_id)
    full = content(client, video_id, "video").content
    ranged = client.get(f"{VIDEOS}/{video_id}/content", headers={**AUTH, "Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == full[:100]
    head = client.head(f"{VIDEOS}/{video_id}/content", headers=AUTH)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(full))


def test_content_errors(client: ContractClient) -> None:
    video_id = created_id(create(client))
    not_ready = error_body(content(client, video_id), 400)
    assert not_ready["error"]["code"] == "video_not_ready"
    assert "current status: queued" in not_ready["error"]["message"]
    bad = error_body(content(client, video_id, "poster"), 400)
    assert bad["error"]["code"] == "invalid_variant"
    missing = error_body(content(client, "video_nope"), 404)
    assert missing["error"]["code"] == "task_not_exist"


def test_list_pages_newest_first_by_default(client: ContractClient) -> None:
    ids = []
    for _ in range(5):
        ids.append(created_id(create(client)))
        client.runtime.clock.advance(1)
    first = client.get(VIDEOS, params={"limit": 2}, headers=AUTH).json()
    assert [v["id"] for v in first["data"]] == ids[::-1][:2]
    assert (first["object"], first["has_more"], first["first_id"], first["last_id"]) == ("list", True, ids[4], ids[3])
    rest = client.get(VIDEOS, params={"limit": 10, "after": first["last_id"]}, headers=AUTH).json()
    assert [v["id"] for v in rest["data"]] == ids[::-1][2:] and rest["has_more"] is False
    ascending = client.get(VIDEOS, params={"order": "asc"}, headers=AUTH).json()
    assert [v["id"] for v in ascending["data"]] == ids
    default = client.get(VIDEOS, headers=AUTH).json()
    assert len(default["data"]) == 5 and default["data"][0]["status"] == "queued"


def test_list_default_limit_is_20_and_empty_list(client: ContractClient) -> None:
    empty = client.get(VIDEOS, headers=AUTH).json()
    assert empty == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    for _ in range(21):
        create(client)
    page = client.get(VIDEOS, headers=AUTH).json()
    assert len(page["data"]) == 20 and page["has_more"] is True


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": "0"}, "limit '0'"),
        ({"limit": "101"}, "limit '101'"),
        ({"limit": "x"}, "limit 'x'"),
        ({"limit": "\u00b2"}, "limit '\u00b2'"),  # a Unicode digit: str.isdigit() says yes, int() says no
        ({"limit": "\u0661"}, "limit '\u0661'"),
        ({"limit": "1" * 5000}, "limit '11111111111111111111'"),  # past int()'s 4,300 digits, not echoed whole
        ({"limit": "0" * 5000}, "limit '00000000000000000000'"),
        ({"order": "up"}, "order 'up'"),
        ({"after": "video_nope"}, "after: no video 'video_nope'"),
    ],
)
def test_list_parameter_errors(client: ContractClient, params: dict[str, str], fragment: str) -> None:
    body = error_body(client.get(VIDEOS, params=params, headers=AUTH), 400)
    assert body["code"] == "invalid_request" and fragment in body["message"]


def test_delete(client: ContractClient) -> None:
    video_id = created_id(create(client))
    busy = error_body(client.delete(f"{VIDEOS}/{video_id}", headers=AUTH), 400)
    assert "is queued; only completed or failed videos can be deleted" in busy["message"]
    finish(client, video_id)
    deleted = client.delete(f"{VIDEOS}/{video_id}", headers=AUTH)
    assert deleted.json() == {"id": video_id, "object": "video.deleted", "deleted": True}
    assert error_body(client.get(f"{VIDEOS}/{video_id}", headers=AUTH), 400)["code"] == "task_not_exist"
    assert error_body(client.delete(f"{VIDEOS}/{video_id}", headers=AUTH), 400)["code"] == "task_not_exist"
    assert client.get(VIDEOS, headers=AUTH).json()["data"] == []


def test_a_delete_that_finds_the_video_deleted_meanwhile_answers_as_for_an_unknown_video(
    client: ContractClient,
) -> None:
    video_id = created_id(create(client))
    finish(client, video_id)
    deleted_meanwhile(client)
    assert error_body(client.delete(f"{VIDEOS}/{video_id}", headers=AUTH), 400)["code"] == "task_not_exist"
