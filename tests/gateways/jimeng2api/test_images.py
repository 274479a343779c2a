"""POST /v1/images/generations and /v1/images/compositions (reference A.7, the seed's size table)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mockserver.gateways.jimeng2api.models.catalog import IMAGE_SIZES, NANOBANANAPRO_4K
from tests.gateways.jimeng2api.helpers import (
    BASE,
    SESSION,
    bearer,
    composition,
    error_of,
    image,
    image_size,
    png,
    record,
    run_to_end,
    submitted,
)
from tests.support import ContractClient

SEED_TABLE = [  # the README's table, row by row
    ("1k", "1:1", 1024, 1024), ("1k", "4:3", 768, 1024), ("1k", "3:4", 1024, 768), ("1k", "16:9", 1024, 576),
    ("1k", "9:16", 576, 1024), ("1k", "3:2", 1024, 682), ("1k", "2:3", 682, 1024), ("1k", "21:9", 1195, 512),
    ("2k", "1:1", 2048, 2048), ("2k", "4:3", 2304, 1728), ("2k", "3:4", 1728, 2304), ("2k", "16:9", 2560, 1440),
    ("2k", "9:16", 1440, 2560), ("2k", "3:2", 2496, 1664), ("2k", "2:3", 1664, 2496), ("2k", "21:9", 3024, 1296),
    ("4k", "1:1", 4096, 4096), ("4k", "4:3", 4608, 3456), ("4k", "3:4", 3456, 4608), ("4k", "16:9", 5120, 2880),
    ("4k", "9:16", 2880, 5120), ("4k", "3:2", 4992, 3328), ("4k", "2:3", 3328, 4992), ("4k", "21:9", 6048, 2592),
]  # fmt: skip


def test_submit_answers_the_queued_task_object(client: ContractClient) -> None:
    body = image(client, prompt="a cute little cat").json()
    assert (body["type"], body["status"], body["object"]) == ("image_generation", "queued", "task")


def test_defaults(client: ContractClient) -> None:
    stored = record(client, submitted(image(client, prompt="a cat")))
    assert {k: stored[k] for k in ("model", "ratio", "resolution", "sample_strength", "negative_prompt")} == {
        "model": "jimeng-4.5",
        "ratio": "1:1",
        "resolution": "2k",
        "sample_strength": 0.5,
        "negative_prompt": "",
    }
    assert (stored["intelligent_ratio"], stored["response_format"]) == (False, "url")
    assert stored["media"] == {"width": 2048, "height": 2048, "count": 4}


def test_the_table_is_the_seed_table() -> None:
    assert [(r, ratio, *size) for r, row in IMAGE_SIZES.items() for ratio, size in row.items()] == SEED_TABLE


@pytest.mark.parametrize(("resolution", "ratio", "width", "height"), SEED_TABLE)
def test_every_ratio_and_resolution_gives_the_table_size(
    client: ContractClient, resolution: str, ratio: str, width: int, height: int
) -> None:
    stored = record(client, submitted(image(client, prompt="x", ratio=ratio, resolution=resolution)))
    assert (stored["media"]["width"], stored["media"]["height"]) == (width, height)


@pytest.mark.parametrize(("resolution", "ratio", "width", "height"), [SEED_TABLE[7], SEED_TABLE[12], SEED_TABLE[23]])
def test_result_images_decode_at_the_table_size(
    client: ContractClient, resolution: str, ratio: str, width: int, height: int
) -> None:
    done = run_to_end(client, submitted(image(client, prompt="x", ratio=ratio, resolution=resolution)))
    assert len(done["result"]["data"]) == 4
    served = client.get(done["result"]["data"][0]["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert image_size(served.content) == ("webp", width, height)


def test_b64_json_carries_the_image_bytes(client: ContractClient) -> None:
    done = run_to_end(client, submitted(image(client, prompt="x", resolution="1k", response_format="b64_json")))
    item = done["result"]["data"][0]
    assert list(item) == ["b64_json"]
    assert image_size(base64.b64decode(item["b64_json"])) == ("webp", 1024, 1024)


def test_every_refused_size_field_is_named_in_one_message(client: ContractClient) -> None:
    response = image(client, prompt="x", height=1, size="1024x1024", width=2)
    expected = "不支持的参数: size, width, height。请使用 ratio 和 resolution 参数控制图像尺寸。"
    assert error_of(response)["message"] == expected


@pytest.mark.parametrize("field", ["size", "width", "height"])
def test_size_width_and_height_are_refused(client: ContractClient, field: str) -> None:
    for send in (image, composition):
        size: dict[str, Any] = {field: 1024}
        response = send(client, prompt="x", images=["https://e.com/a.png"], **size)
        assert response.status_code == 400
        assert error_of(response) == {
            "message": f"不支持的参数: {field}。请使用 ratio 和 resolution 参数控制图像尺寸。",
            "type": "invalid_request_error",
            "param": None,  # the server's invalidRequest(message) names none
            "code": "invalid_request",
        }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("model", 4.5),
        ("prompt", None),
        ("negative_prompt", 1),
        ("ratio", 1),
        ("resolution", 2),
        ("intelligent_ratio", "yes"),
        ("sample_strength", "0.5"),
        ("response_format", False),
    ],
)
def test_field_types(client: ContractClient, field: str, value: Any) -> None:
    response = image(client, **{"prompt": "x", field: value})
    assert (response.status_code, error_of(response)["message"]) == (400, f"Params body.{field} invalid")
    assert error_of(response)["param"] == f"body.{field}"


def test_sample_strength_range_is_not_checked(client: ContractClient) -> None:
    assert image(client, prompt="x", sample_strength=7).status_code == 200


@pytest.mark.parametrize(
    ("ratio", "resolution", "message"), [("5:4", "2k", "不支持的比例"), ("1:1", "8k", "不支持的分辨率")]
)
def test_an_unknown_ratio_or_resolution_fails_the_task(
    client: ContractClient, ratio: str, resolution: str, message: str
) -> None:
    failed = run_to_end(client, submitted(image(client, prompt="x", ratio=ratio, resolution=resolution)))
    assert (failed["status"], failed["error"]["code"], failed["error"]["type"]) == (
        "failed",
        "task_failed",
        "api_error",
    )
    assert failed["error"]["message"].startswith(message)


@pytest.mark.parametrize(
    ("prompt", "model", "count"),
    [
        ("画3张猫", "jimeng-4.5", 3),
        ("生成6张连续的故事", "jimeng-4.0", 6),
        ("一个绘本故事", "jimeng-4.1", 4),
        ("a cat", "jimeng-3.0", 4),
        ("画2张猫", "jimeng-3.0", 4),
    ],
)
def test_multi_image_prompts(client: ContractClient, prompt: str, model: str, count: int) -> None:
    done = run_to_end(client, submitted(image(client, prompt=prompt, model=model, resolution="1k")))
    assert len(done["result"]["data"]) == count


def test_intelligent_ratio_follows_the_prompt_for_jimeng_4_and_5(client: ContractClient) -> None:
    smart = record(client, submitted(image(client, prompt="a lion, portrait", intelligent_ratio=True)))
    assert (smart["ratio"], smart["media"]["width"], smart["media"]["height"]) == ("9:16", 1440, 2560)
    ignored = record(
        client, submitted(image(client, prompt="a lion, portrait", model="jimeng-3.0", intelligent_ratio=True))
    )
    assert ignored["ratio"] == "1:1"


@pytest.mark.parametrize(
    ("token", "ratio", "resolution", "size"),
    [
        ("us-s", "16:9", "4k", (1024, 1024)),
        ("hk-s", "16:9", "4k", (1024, 576)),
        ("sg-s", "3:4", "2k", (1024, 768)),
        ("jp-s", "1:1", "1k", (1024, 1024)),
    ],
)
def test_nanobanana_region_rules(
    client: ContractClient, token: str, ratio: str, resolution: str, size: tuple[int, int]
) -> None:
    body = {"prompt": "x", "model": "nanobanana", "ratio": ratio, "resolution": resolution}
    stored = record(client, submitted(image(client, bearer(token), **body)))
    assert (stored["media"]["width"], stored["media"]["height"], stored["media"]["count"]) == (*size, 1)


def test_nanobanana_does_not_exist_in_china(client: ContractClient) -> None:
    failed = run_to_end(client, submitted(image(client, prompt="x", model="nanobanana")))
    assert failed["error"]["code"] == "unsupported_model"
    assert failed["error"]["message"] == (
        'Unsupported image model "nanobanana". Supported models: '
        "jimeng-5.0, jimeng-4.6, jimeng-4.5, jimeng-4.1, jimeng-4.0, jimeng-3.1, jimeng-3.0"
    )


@pytest.mark.parametrize(("ratio", "size"), list(NANOBANANAPRO_4K.items()))
def test_nanobananapro_has_its_own_4k_sizes(client: ContractClient, ratio: str, size: tuple[int, int]) -> None:
    stored = record(
        client,
        submitted(image(client, bearer("hk-s"), prompt="x", model="nanobananapro", ratio=ratio, resolution="4k")),
    )
    assert (stored["media"]["width"], stored["media"]["height"]) == size


def test_nanobananapro_below_4k_uses_the_common_table(client: ContractClient) -> None:
    stored = record(client, submitted(image(client, bearer("us-s"), prompt="x", model="nanobananapro", ratio="21:9")))
    assert (stored["media"]["width"], stored["media"]["height"]) == (3024, 1296)


@pytest.mark.parametrize(("model", "token"), [("jimeng-5.0", "us-s"), ("jimeng-3.1", "hk-s"), ("jimeng-4.6", "us-s")])
def test_image_models_missing_from_a_site_fail_the_task(client: ContractClient, model: str, token: str) -> None:
    failed = run_to_end(client, submitted(image(client, bearer(token), prompt="x", model=model)), bearer(token))
    assert failed["error"]["code"] == "unsupported_model"


# -- compositions ------------------------------------------------------------------------------


def test_composition_from_urls_and_url_objects(client: ContractClient) -> None:
    images = ["https://e.com/a.jpg", {"url": "https://e.com/b.jpg"}]
    done = run_to_end(client, submitted(composition(client, prompt="merge", images=images, resolution="1k")))
    assert done["type"] == "image_composition"
    assert (done["result"]["input_images"], done["result"]["composition_type"]) == (2, "multi_image_synthesis")
    assert image_size(client.get(done["result"]["data"][0]["url"]).content) == ("webp", 1024, 1024)


def test_composition_multipart_uploads(client: ContractClient) -> None:
    files = [("images", (f"{i}.png", png(40, 30), "image/png")) for i in range(3)]
    fields = {
        "prompt": "merge",
        "ratio": "16:9",
        "resolution": "1k",
        "intelligent_ratio": "false",
        "sample_strength": "0.7",
    }
    response = client.post(f"{BASE}/v1/images/compositions", data=fields, files=files, headers=SESSION)
    stored = record(client, submitted(response))
    assert (stored["input_images"], stored["sample_strength"], stored["intelligent_ratio"]) == (3, 0.7, False)
    assert (stored["media"]["width"], stored["media"]["height"]) == (1024, 576)
    bad = client.post(
        f"{BASE}/v1/images/compositions", data=fields | {"sample_strength": "strong"}, files=files, headers=SESSION
    )
    assert error_of(bad)["message"] == "Params body.sample_strength invalid"


def test_composition_multipart_without_images(client: ContractClient) -> None:
    files = [("other", ("a.png", png(8, 8), "image/png"))]
    response = client.post(f"{BASE}/v1/images/compositions", data={"prompt": "x"}, files=files, headers=SESSION)
    assert error_of(response) == {
        "message": "在form-data中缺少 'images' 字段",
        "type": "invalid_request_error",
        "param": "images",
        "code": "invalid_request",
    }


@pytest.mark.parametrize(
    ("images", "message", "param"),
    [
        (None, "Params body.images invalid", "body.images"),
        ("https://e.com/a.png", "Params body.images invalid", "body.images"),
        ([], "至少需要提供1张输入图片", "images"),
        (["https://e.com/a.png"] * 11, "最多支持10张输入图片", "images"),
        (["https://e.com/a.png", 3], "图片 2 格式不正确：应为URL字符串或包含url字段的对象", "images"),
        ([{"href": "https://e.com/a.png"}], "图片 1 缺少url字段", "images"),
    ],
)
def test_composition_input_errors(client: ContractClient, images: Any, message: str, param: str) -> None:
    body: dict[str, Any] = {"prompt": "x"} if images is None else {"prompt": "x", "images": images}
    response = composition(client, **body)
    assert (response.status_code, error_of(response)["message"], error_of(response)["param"]) == (400, message, param)


def test_ten_composition_inputs_are_accepted(client: ContractClient) -> None:
    assert composition(client, prompt="x", images=["https://e.com/a.png"] * 10).status_code == 200
