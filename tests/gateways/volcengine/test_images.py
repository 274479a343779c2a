"""The Jimeng image services: text-to-image 3.0 / 3.1 and image-to-image 3.0 as tasks, text-to-image 2.1 at once
(CVProcess); results as binary_data_base64, or image_urls when the client asks for links."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from tests.gateways.volcengine.helpers import GET_RESULT, SUBMIT, business_error, call, task_id_of
from tests.support import ContractClient, make_client, png_base64

PROCESS = ("CVProcess", "2022-08-31")


@pytest.fixture
def client() -> Iterator[ContractClient]:
    with make_client(seed=0) as made:
        yield made


def picture(data: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        return str(image.format), image.size


def finished(
    client: ContractClient, task_id: str, req_key: str, req_json: dict[str, object] | None = None
) -> dict[str, Any]:
    client.runtime.clock.advance(600)
    body: dict[str, object] = {"req_key": req_key, "task_id": task_id}
    if req_json is not None:
        body["req_json"] = json.dumps(req_json)
    response = call(client, GET_RESULT, body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    assert data["status"] == "done"
    return data


def test_text_to_image_answers_base64_by_default(client: ContractClient) -> None:
    task_id = task_id_of(call(client, SUBMIT, {"req_key": "jimeng_t2i_v30", "prompt": "a cat", "width": 1024}))
    data = finished(client, task_id, "jimeng_t2i_v30")
    assert data["image_urls"] is None and len(data["binary_data_base64"]) == 1
    assert picture(base64.b64decode(data["binary_data_base64"][0])) == ("JPEG", (1024, 1328))


def test_return_url_in_req_json_answers_links_that_live_a_day(client: ContractClient) -> None:
    task_id = task_id_of(call(client, SUBMIT, {"req_key": "jimeng_t2i_v31", "prompt": "a cat"}))
    data = finished(client, task_id, "jimeng_t2i_v31", {"return_url": True, "logo_info": {"add_logo": False}})
    assert data["binary_data_base64"] == [] and len(data["image_urls"]) == 1
    link = data["image_urls"][0]
    assert picture(client.get(link).content) == ("JPEG", (1328, 1328))
    client.runtime.clock.advance(86400)
    assert client.get(link).status_code != 200


def test_image_to_image_needs_its_image(client: ContractClient) -> None:
    code, message = business_error(call(client, SUBMIT, {"req_key": "jimeng_i2i_v30", "prompt": "a cat"}), 400)
    assert code == 50215 and "needs its image" in message
    body = {"req_key": "jimeng_i2i_v30", "prompt": "make it blue", "binary_data_base64": [png_base64(640, 480)]}
    task_id = task_id_of(call(client, SUBMIT, body | {"scale": 0.8, "height": 1024}))
    data = finished(client, task_id, "jimeng_i2i_v30")
    assert picture(base64.b64decode(data["binary_data_base64"][0])) == ("JPEG", (1328, 1024))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"req_key": "jimeng_t2i_v30", "prompt": "a", "width": 511}, "512 to 2048"),
        ({"req_key": "jimeng_i2i_v30", "prompt": "a", "image_urls": ["https://e.com/a.png"], "scale": 2}, "0 to 1"),
        ({"req_key": "jimeng_t2i_v30"}, "need a prompt"),
    ],
)
def test_image_rules(client: ContractClient, body: dict[str, object], reason: str) -> None:
    code, message = business_error(call(client, SUBMIT, body), 400)
    assert code == 50215 and reason in message


def test_a_req_json_that_is_not_a_json_object_is_50215(client: ContractClient) -> None:
    task_id = task_id_of(call(client, SUBMIT, {"req_key": "jimeng_t2i_v30", "prompt": "a cat"}))
    client.runtime.clock.advance(600)
    response = call(client, GET_RESULT, {"req_key": "jimeng_t2i_v30", "task_id": task_id, "req_json": "[1]"})
    assert business_error(response, 400)[0] == 50215


def test_cv_process_answers_the_image_at_once(client: ContractClient) -> None:
    body = {"req_key": "jimeng_high_aes_general_v21_L", "prompt": "a cat", "width": 512, "height": 384}
    data = call(client, PROCESS, body).json()["data"]
    assert data["algorithm_base_resp"]["status_code"] == 0
    assert picture(base64.b64decode(data["binary_data_base64"][0])) == ("JPEG", (1024, 768))  # use_sr doubles
    linked = call(client, PROCESS, body | {"use_sr": False, "return_url": True}).json()["data"]
    assert picture(client.get(linked["image_urls"][0]).content) == ("JPEG", (512, 384))


def test_cv_process_takes_only_its_synchronous_keys_and_follows_scenarios(client: ContractClient) -> None:
    code, message = business_error(call(client, PROCESS, {"req_key": "jimeng_t2i_v30", "prompt": "a"}), 400)
    assert code == 50215 and "not served by CVProcess" in message
    body = {"req_key": "jimeng_high_aes_general_v21_L", "prompt": "[[mock:volcengine_50411]] a cat"}
    assert business_error(call(client, PROCESS, body), 400) == (50411, "Pre Img Risk Not Pass")
    body = {"req_key": "jimeng_high_aes_general_v21_L", "prompt": "[[mock:volcengine_50511]] a cat"}
    assert business_error(call(client, PROCESS, body), 400) == (50511, "Post Img Risk Not Pass")
