"""Property tests: any request body gets an answer in the server's shapes, never a 500, and the contract holds."""

from __future__ import annotations

import json
import random
import re
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from mockserver.gateways.jimeng2api.models.tasks import new_task_id
from mockserver.gateways.jimeng2api.routes.headers import credential
from tests.gateways.jimeng2api.helpers import BASE, SESSION
from tests.support import make_client

CLIENT = make_client()
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-20, 20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=4), scalars, max_size=2))
VIDEO_FIELDS = [
    "model",
    "prompt",
    "ratio",
    "resolution",
    "duration",
    "functionMode",
    "response_format",
    "filePaths",
    "file_paths",
]
IMAGE_FIELDS = [
    "model", "prompt", "negative_prompt", "ratio", "resolution", "intelligent_ratio", "sample_strength",
    "response_format", "images", "size",
]  # fmt: skip
models = st.sampled_from(["jimeng-video-3.0", "jimeng-video-veo3", "jimeng-video-seedance-2.0", "jimeng-4.5", "x"])


def bodies(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(fields), st.one_of(values, models), max_size=6)


def check(path: str, body: Any, headers: dict[str, str]) -> None:
    response = CLIENT.post(f"{BASE}{path}", json=body, headers=headers)  # the ContractClient validates the body
    assert response.status_code in (200, 400, 401), response.text
    if response.status_code != 200:
        error = response.json()["error"]
        assert error["message"] and error["type"] in ("invalid_request_error", "authentication_error")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies(VIDEO_FIELDS), st.sampled_from([SESSION, {"Authorization": "Bearer us-x"}, {}]))
def test_any_video_body(body: dict[str, Any], headers: dict[str, str]) -> None:
    check("/v1/videos/generations", body, headers)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies(IMAGE_FIELDS), st.sampled_from(["/v1/images/generations", "/v1/images/compositions"]))
def test_any_image_body(body: dict[str, Any], path: str) -> None:
    check(path, body, SESSION)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_any_text_as_json(text: str) -> None:
    response = CLIENT.post(
        f"{BASE}/v1/images/generations", content=text.encode(), headers=SESSION | {"content-type": "application/json"}
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["error"]["code"] in ("invalid_json", "invalid_request")


@settings(max_examples=60, deadline=None)
@given(bodies(VIDEO_FIELDS))
def test_accepted_videos_always_finish(body: dict[str, Any]) -> None:
    response = CLIENT.post(f"{BASE}/v1/videos/generations", json=body, headers=SESSION)
    if response.status_code != 200:
        return
    task_id = response.json()["id"]
    CLIENT.runtime.clock.advance(4000)
    end = CLIENT.get(f"{BASE}/v1/tasks/{task_id}", headers=SESSION).json()
    assert end["status"] in ("succeeded", "failed")
    assert json.dumps(end)


@given(st.integers(0, 2**32 - 1))
def test_task_ids_are_version_4_uuids_fixed_by_the_task_stream(seed: int) -> None:
    task_id = new_task_id(random.Random(seed))
    assert task_id == new_task_id(random.Random(seed))
    parsed = uuid.UUID(task_id)
    assert str(parsed) == task_id
    assert parsed.version == 4
    assert parsed.variant == uuid.RFC_4122


@settings(max_examples=400, deadline=None)
@given(
    header=st.one_of(
        st.text(max_size=20),
        st.builds(
            "".join,
            st.tuples(
                st.sampled_from(["Bearer", "bearer", "BEARER", " Bearer", "Bearer,"]),
                st.text(" \t\n\r\x0b\x0c\x1c\u00a0\u2003", max_size=3),
                st.text(max_size=12),
                st.text(" \t\u3000", max_size=2),
            ),
        ),
    )
)
def test_the_credential_is_what_the_servers_bearer_regex_reads(header: str) -> None:
    scope = {"type": "http", "headers": [(b"authorization", header.encode("latin-1", "replace"))]}
    text = header.encode("latin-1", "replace").decode("latin-1").strip()
    match = re.match(r"^Bearer\s+(.+)$", text, re.IGNORECASE | re.DOTALL)
    assert credential(Request(scope)) == (match.group(1).strip() if match else None)
