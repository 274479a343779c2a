"""The official Ark runtime SDK (`volcengine-ark-runtime`), unchanged, against a served mock: create, get, list and
delete, errors as the SDK's exceptions, and a callback received by a receiver the test starts."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from volcenginesdkarkruntime import Ark
from volcenginesdkarkruntime._exceptions import ArkAuthenticationError, ArkBadRequestError, ArkNotFoundError

from mockserver.testing import MockServer
from tests.gateways.ark.helpers import PRO
from tests.gateways.ark.receiver import receiving

PROMPT = [{"type": "text", "text": "An orange cat yawning by the window"}]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(providers=["ark"], seed=5, api_keys=["sk-ark"]) as mock:
        yield mock


@pytest.fixture
def ark(server: MockServer) -> Ark:
    server.reset()
    return Ark(base_url=server.url_for("ark"), api_key="sk-ark", max_retries=0)


def test_create_poll_list_download_delete(ark: Ark, server: MockServer) -> None:
    created = ark.content_generation.tasks.create(model=PRO, content=PROMPT, ratio="16:9", resolution="720p", seed=7)
    assert created.id.startswith("cgt-20260101000000-")
    statuses = []
    for _ in range(100):
        task = ark.content_generation.tasks.get(task_id=created.id)
        statuses.append(task.status)
        if task.status == "succeeded":
            break
        server.clock.advance(5)
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "succeeded"
    assert (task.model, task.seed, task.ratio, task.resolution, task.duration, task.framespersecond) == (
        PRO,
        7,
        "16:9",
        "720p",
        5,
        24,
    )
    assert task.error is None and task.usage.completion_tokens == 1248 * 704 * 24 * 5 // 1024
    assert task.created_at == 1767225600 < task.updated_at
    video = httpx.get(task.content.video_url)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    listed = ark.content_generation.tasks.list(page_size=10, status="succeeded", task_ids=[created.id])
    assert listed.total == 1 and listed.items[0].id == created.id
    ark.content_generation.tasks.delete(created.id)
    delete = server.journal.calls("ark", "/api/v3/contents/generations/tasks/{id}", method="DELETE")[0]
    assert delete.request_body == "{}" and delete.status == 200
    with pytest.raises(ArkNotFoundError) as missing:
        ark.content_generation.tasks.get(task_id=created.id)
    assert missing.value.code == "ResourceNotFound"


def test_the_sdk_sends_nulls_and_a_missing_model_is_a_missing_parameter(ark: Ark, server: MockServer) -> None:
    with pytest.raises(ArkBadRequestError) as refused:
        ark.content_generation.tasks.create(model=None, content=PROMPT)
    assert (refused.value.code, refused.value.param, refused.value.type) == ("MissingParameter", "model", "BadRequest")
    sent = server.journal.calls("ark", "/api/v3/contents/generations/tasks", method="POST")[-1].request_body
    assert '"model":null' in sent and '"callback_url":null' in sent and '"tools":null' in sent


def test_errors_are_the_sdks_exceptions(ark: Ark, server: MockServer) -> None:
    with pytest.raises(ArkBadRequestError) as invalid:
        ark.content_generation.tasks.create(model=PRO, content=PROMPT, duration=30)
    assert (invalid.value.code, invalid.value.param) == ("InvalidParameter", "duration")
    wrong = Ark(base_url=server.url_for("ark"), api_key="sk-not-ours", max_retries=0)
    with pytest.raises(ArkAuthenticationError):
        wrong.content_generation.tasks.get(task_id="cgt-20250101000000-aaaaa")
    with pytest.raises(ArkNotFoundError) as unknown:
        ark.content_generation.tasks.create(model="doubao-seedance-0", content=PROMPT)
    assert unknown.value.code == "InvalidEndpointOrModel.NotFound"


def test_callbacks_reach_a_receiver_in_order_as_the_clock_moves(ark: Ark, server: MockServer) -> None:
    with receiving() as receiver:
        created = ark.content_generation.tasks.create(model=PRO, content=PROMPT, callback_url=receiver.url)
        server.clock.advance(0)
        assert receiver.statuses == ["queued"]
        server.clock.advance_until(created.id, "succeeded")
        assert receiver.statuses == ["queued", "running", "succeeded"]
        final = receiver.bodies[-1]
        assert final["id"] == created.id and final["content"]["video_url"].startswith(server.url)
        assert final == ark.content_generation.tasks.get(task_id=created.id).model_dump(exclude_none=True) | {
            "content": {"video_url": final["content"]["video_url"]}
        }
    server.journal.assert_callbacks(created.id, ["queued", "running", "succeeded"], answered=True)
    assert all(entry.path == receiver.url for entry in server.journal.callbacks(task=created.id))
