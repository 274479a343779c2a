"""POST /v1/videos/generations: fields, defaults, durations per model, modes, materials, sizes (reference A.6)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateways.jimeng2api.helpers import BASE, SESSION, bearer, error_of, png, record, run_to_end, submitted, video
from tests.support import ContractClient


def multipart(client: ContractClient, fields: dict[str, Any], files: list[tuple[str, Any]]) -> Any:
    """A multipart/form-data submit, even without files (a list value repeats its field)."""
    if files:
        return client.post(f"{BASE}/v1/videos/generations", data=fields, files=files, headers=SESSION)
    parts = [(n, v) for n, value in fields.items() for v in (value if isinstance(value, list) else [value])]
    boundary = "jimeng-mock-boundary"
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n' for n, v in parts)
    headers = SESSION | {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return client.post(f"{BASE}/v1/videos/generations", content=f"{body}--{boundary}--\r\n", headers=headers)


def test_submit_answers_the_queued_task_object(client: ContractClient) -> None:
    response = video(client, prompt="a lion running on the grassland")
    task_id = submitted(response)
    body = response.json()
    now = int(client.runtime.clock.now())
    assert body == {
        "id": task_id,
        "object": "task",
        "type": "video_generation",
        "status": "queued",
        "created": now,
        "updated": now,
        "result_url": f"/v1/tasks/{task_id}",
        "api_key_id": None,
        "token_id": None,
    }
    assert not task_id.startswith("task_") and len(task_id) == 36


def test_defaults(client: ContractClient) -> None:
    stored = record(client, submitted(video(client, prompt="a cat")))
    assert (stored["model"], stored["ratio"], stored["resolution"], stored["duration"]) == (
        "jimeng-video-3.5-pro",
        "1:1",
        "720p",
        5,
    )
    assert (stored["response_format"], stored["function_mode"], stored["mode"]) == (
        "url",
        "first_last_frames",
        "text2video",
    )
    assert stored["media"] == {"width": 960, "height": 960, "fps": 24, "frames": 121}


@pytest.mark.parametrize(
    ("field", "value"),
    [("model", 1), ("prompt", 2), ("ratio", []), ("resolution", {}), ("functionMode", "text"), ("response_format", 0)],
)
def test_field_types(client: ContractClient, field: str, value: Any) -> None:
    response = video(client, **{"prompt": "a cat", field: value})
    assert response.status_code == 400
    assert error_of(response) == {
        "message": f"Params body.{field} invalid",
        "type": "invalid_request_error",
        "param": f"body.{field}",
        "code": "invalid_request",
    }


def test_prompt_is_required(client: ContractClient) -> None:
    assert error_of(video(client, model="jimeng-video-3.0"))["param"] == "body.prompt"


def test_fields_are_checked_in_the_server_order(client: ContractClient) -> None:
    assert error_of(video(client, model=1, ratio=2))["param"] == "body.model"
    assert error_of(video(client, ratio=2))["param"] == "body.prompt"
    assert error_of(video(client, prompt="x", ratio=2, duration="x"))["param"] == "body.ratio"
    assert error_of(video(client, prompt="x", duration="x", filePaths=[1, 2, 3]))["param"] == "duration"
    no_key = client.post(f"{BASE}/v1/videos/generations", json={"prompt": "x", "duration": 7})
    assert error_of(no_key)["param"] == "headers.authorization"
    bad_key = video(client, headers=bearer("jm_unknown"), prompt="x", duration=7)
    assert error_of(bad_key)["param"] == "duration"  # duration is checked before the API key


DURATIONS = [
    ("jimeng-video-veo3", [8], [5, 10], "veo3 模型仅支持 8 秒时长，当前值: {}"),
    ("jimeng-video-veo3.1", [8], [4], "veo3 模型仅支持 8 秒时长，当前值: {}"),
    ("jimeng-video-sora2", [4, 8, 12], [5, 10], "sora2 模型仅支持 4、8、12 秒时长，当前值: {}"),
    ("jimeng-video-3.5-pro", [5, 10, 12], [4, 8, 15], "3.5-pro 模型仅支持 5、10、12 秒时长，当前值: {}"),
    (
        "jimeng-video-seedance-2.0",
        list(range(4, 16)),
        [3, 16],
        "seedance 2.0/2.0-fast 模型支持 4~15 秒时长，当前值: {}",
    ),
    ("jimeng-video-seedance-2.0-fast-vip", [4, 15], [16], "seedance 2.0/2.0-fast 模型支持 4~15 秒时长，当前值: {}"),
    ("jimeng-video-3.0", [5, 10], [4, 8, 12], "该模型仅支持 5、10 秒时长，当前值: {}"),
    ("jimeng-video-2.0-pro", [5, 10], [6], "该模型仅支持 5、10 秒时长，当前值: {}"),
]


@pytest.mark.parametrize(("model", "allowed", "refused", "message"), DURATIONS)
def test_durations_per_model(
    client: ContractClient, model: str, allowed: list[int], refused: list[int], message: str
) -> None:
    for seconds in allowed:
        stored = record(client, submitted(video(client, model=model, prompt="x", duration=seconds)))
        assert (stored["duration"], stored["media"]["frames"]) == (seconds, 24 * seconds + 1)
    for seconds in refused:
        response = video(client, model=model, prompt="x", duration=seconds)
        assert response.status_code == 400
        assert error_of(response) == {
            "message": message.format(seconds),
            "type": "invalid_request_error",
            "param": "duration",
            "code": "invalid_request",
        }


@pytest.mark.parametrize(
    ("model", "seconds"), [("jimeng-video-veo3", 8), ("jimeng-video-sora2", 4), ("jimeng-video-3.0", 5)]
)
def test_default_duration_per_model(client: ContractClient, model: str, seconds: int) -> None:
    headers = bearer("hk-session")
    assert record(client, submitted(video(client, headers, model=model, prompt="x")))["duration"] == seconds


def test_a_json_duration_must_be_a_whole_number(client: ContractClient) -> None:
    assert error_of(video(client, prompt="x", duration=5.5))["message"] == "duration 必须是整数，当前值: 5.5"
    assert record(client, submitted(video(client, prompt="x", duration=10.0)))["duration"] == 10


@pytest.mark.parametrize("value", [True, None, [5], {"s": 5}, "5", "10"])
def test_duration_of_another_type(client: ContractClient, value: Any) -> None:
    """A JSON string is not a number, even "5": only multipart text is read as one."""
    assert error_of(video(client, prompt="x", duration=value)) == {
        "message": "duration 参数格式错误",
        "type": "invalid_request_error",
        "param": "duration",
        "code": "invalid_request",
    }


@pytest.mark.parametrize("text", ["5.0", " 5a", "1e1", "05", "+5", ""])
def test_multipart_duration_must_read_back_as_written(client: ContractClient, text: str) -> None:
    """parseInt(text) must print back as the trimmed text."""
    response = multipart(client, {"prompt": "x", "duration": text}, [])
    assert error_of(response)["message"] == f"duration 必须是整数，当前值: {text}"


def test_multipart_duration_may_carry_blanks_and_a_sign(client: ContractClient) -> None:
    assert record(client, submitted(multipart(client, {"prompt": "x", "duration": " 10 "}, [])))["duration"] == 10
    refused = multipart(client, {"prompt": "x", "duration": "-5"}, [])
    assert error_of(refused)["message"] == "3.5-pro 模型仅支持 5、10、12 秒时长，当前值: -5"


def test_file_paths_hold_at_most_two_urls(client: ContractClient) -> None:
    urls = ["https://e.com/1.png", "https://e.com/2.png", "https://e.com/3.png"]
    for name in ("filePaths", "file_paths"):
        paths: dict[str, Any] = {name: urls}
        response = video(client, prompt="x", **paths)
        assert error_of(response) == error_of(response) | {
            "message": f"Params body.{name} invalid",
            "param": f"body.{name}",
        }
    assert error_of(video(client, prompt="x", filePaths="https://e.com/1.png"))["param"] == "body.filePaths"
    assert error_of(video(client, prompt="x", file_paths=None))["param"] == "body.file_paths"  # null is defined
    both = video(client, prompt="x", filePaths="https://e.com/1.png", file_paths="https://e.com/2.png")
    assert error_of(both)["param"] == "body.file_paths"  # checked first


def test_modes_follow_the_number_of_images(client: ContractClient) -> None:
    one = record(client, submitted(video(client, prompt="x", file_paths=["https://e.com/1.png"])))
    two = record(client, submitted(video(client, prompt="x", filePaths=["https://e.com/1.png", "https://e.com/2.png"])))
    assert (one["mode"], two["mode"]) == ("image2video", "first_last_frames")
    both = video(client, prompt="x", filePaths=["https://e.com/a.png"], file_paths=["https://e.com/b.png"])
    assert record(client, submitted(both))["images"] == ["https://e.com/a.png"]


def test_multipart_text_to_video(client: ContractClient) -> None:
    response = multipart(client, {"prompt": "x", "model": "jimeng-video-3.0", "duration": "10"}, [])
    stored = record(client, submitted(response))
    assert (stored["duration"], stored["mode"]) == (10, "text2video")
    assert error_of(multipart(client, {"prompt": "x", "duration": "10.0"}, []))["param"] == "duration"


@pytest.mark.parametrize(
    ("size", "ratio", "expected"),
    [((1080, 1920), "9:16", (720, 1280)), ((1600, 1200), "4:3", (1112, 834)), ((2100, 900), "21:9", (1470, 630))],
)
def test_an_uploaded_image_sets_the_ratio(
    client: ContractClient, size: tuple[int, int], ratio: str, expected: tuple[int, int]
) -> None:
    files = [("image1", ("first.png", png(*size), "image/png"))]
    stored = record(client, submitted(multipart(client, {"prompt": "x", "ratio": "1:1"}, files)))
    assert (stored["mode"], stored["ratio"]) == ("image2video", ratio)
    assert (stored["media"]["width"], stored["media"]["height"]) == expected


def test_uploaded_files_win_over_file_paths(client: ContractClient) -> None:
    files = [("a", ("a.png", png(64, 64), "image/png")), ("b", ("b.png", png(64, 64), "image/png"))]
    stored = record(client, submitted(multipart(client, {"prompt": "x"}, files)))
    assert (stored["mode"], stored["images"]) == ("first_last_frames", ["upload:a", "upload:b"])
    text = multipart(client, {"prompt": "x", "filePaths": "https://e.com/z.png"}, files)
    assert error_of(text)["param"] == "body.filePaths"  # one form field is text, not the array the server wants
    urls = {"prompt": "x", "filePaths": ["https://e.com/y.png", "https://e.com/z.png"]}
    listed = record(client, submitted(multipart(client, urls, files[:1])))
    assert listed["images"] == ["upload:a"]  # a repeated field is a list (accepted), and the upload wins


def test_repeated_file_paths_fields_are_a_list(client: ContractClient) -> None:
    urls = ["https://e.com/y.png", "https://e.com/z.png"]
    stored = record(client, submitted(multipart(client, {"prompt": "x", "filePaths": urls}, [])))
    assert (stored["mode"], stored["images"]) == ("first_last_frames", urls)


def test_a_url_encoded_duration_is_text_of_another_type(client: ContractClient) -> None:
    """Only multipart text is read as a number: a url-encoded form's "5" is a string like JSON's."""
    response = client.post(f"{BASE}/v1/videos/generations", data={"prompt": "x", "duration": "5"}, headers=SESSION)
    assert error_of(response)["message"] == "duration 参数格式错误"


def test_more_than_two_uploaded_frames_is_a_400(client: ContractClient) -> None:
    files = [(f"f{i}", (f"{i}.png", png(32, 32), "image/png")) for i in range(3)]
    response = multipart(client, {"prompt": "x"}, files)
    assert error_of(response) == {
        "message": "最多只能上传2个图片文件",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_request",
    }


def test_files_under_one_name_count_once_and_fail_their_upload(client: ContractClient) -> None:
    """The server counts `_.values(request.files)`: three files under one field name are one entry (no 400), an
    array its upload cannot read: as the first frame, the task fails (-2001); later, that frame is left out."""
    files = [("image", (f"{i}.png", png(32, 32), "image/png")) for i in range(3)]
    failed = run_to_end(client, submitted(multipart(client, {"prompt": "x"}, files)))
    assert failed["error"]["code"] == -2001
    assert failed["error"]["message"] == (
        '首帧图片上传失败: The "path" argument must be of type string or an instance of Buffer or URL. '
        "Received undefined"
    )
    second = [("first", ("a.png", png(32, 32), "image/png")), *files[:2]]
    stored = record(client, submitted(multipart(client, {"prompt": "x"}, second)))
    assert (stored["mode"], stored["images"]) == ("image2video", ["upload:first"])


def test_an_unreadable_upload_fails_inside_the_task(client: ContractClient) -> None:
    task_id = submitted(multipart(client, {"prompt": "x"}, [("image1", ("a.png", b"not an image", "image/png"))]))
    failed = run_to_end(client, task_id)
    assert failed["error"]["code"] == -2001
    assert failed["error"]["message"].startswith("首帧图片上传失败")


@pytest.mark.parametrize(
    ("model", "resolution", "expected"),
    [
        ("jimeng-video-3.0", "1080p", (1920, 1080, "1080p")),
        ("jimeng-video-3.0-fast", "1080p", (1920, 1080, "1080p")),
        ("jimeng-video-3.0", "720p", (1280, 720, "720p")),
        ("jimeng-video-3.0-pro", "1080p", (1280, 720, "720p")),
        ("jimeng-video-3.5-pro", "1080p", (1280, 720, "720p")),
    ],
)
def test_resolution_is_honoured_only_by_3_0_and_3_0_fast(
    client: ContractClient, model: str, resolution: str, expected: tuple[int, int, str]
) -> None:
    stored = record(client, submitted(video(client, model=model, prompt="x", ratio="16:9", resolution=resolution)))
    assert (stored["media"]["width"], stored["media"]["height"], stored["resolution"]) == expected


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", (960, 960)),
        ("4:3", (1112, 834)),
        ("3:4", (834, 1112)),
        ("16:9", (1280, 720)),
        ("9:16", (720, 1280)),
        ("21:9", (1470, 630)),
    ],
)
def test_each_ratio_at_720p(client: ContractClient, ratio: str, size: tuple[int, int]) -> None:
    stored = record(client, submitted(video(client, prompt="x", ratio=ratio)))
    assert (stored["media"]["width"], stored["media"]["height"]) == size


def test_an_unknown_ratio_fails_inside_the_task(client: ContractClient) -> None:
    failed = run_to_end(client, submitted(video(client, prompt="x", ratio="5:4")))
    assert (failed["error"]["code"], failed["error"]["type"]) == ("task_failed", "api_error")


def omni(client: ContractClient, fields: dict[str, str], files: list[tuple[str, Any]]) -> Any:
    base = {"prompt": "@image_file_1 moves", "model": "jimeng-video-seedance-2.0", "functionMode": "omni_reference"}
    return multipart(client, base | fields, files)


def test_omni_reference_without_materials_is_text_only(client: ContractClient) -> None:
    stored = record(client, submitted(omni(client, {}, [])))
    assert (stored["mode"], stored["images"], stored["videos"]) == ("omni_reference", [], [])
    assert run_to_end(client, stored_id := submitted(omni(client, {}, [])))["status"] == "succeeded", stored_id


def test_omni_reference_mixes_files_and_urls(client: ContractClient) -> None:
    files = [("image_file_1", ("a.png", png(64, 64), "image/png")), ("video_file", ("v.mp4", b"....", "video/mp4"))]
    stored = record(client, submitted(omni(client, {"image_file_2": "https://e.com/b.png"}, files)))
    assert stored["images"] == ["upload:image_file_1", "https://e.com/b.png"]
    assert stored["videos"] == ["upload:video_file"]


def test_omni_reference_limits(client: ContractClient) -> None:
    images = {f"image_file_{i}": f"https://e.com/{i}.png" for i in range(1, 10)}
    assert omni(client, images, []).status_code == 200
    response = omni(client, images | {"image_file": "https://e.com/0.png"}, [])
    assert error_of(response) | {"code": "x"} == {
        "message": "全能模式最多上传9张图片",
        "type": "invalid_request_error",
        "param": "image_file",
        "code": "x",
    }
    videos = [(f"video_file_{i}", (f"{i}.mp4", b"mp4", "video/mp4")) for i in range(1, 4)]
    assert omni(client, {}, videos).status_code == 200
    response = omni(client, {}, [*videos, ("video_file", ("0.mp4", b"mp4", "video/mp4"))])
    assert (error_of(response)["message"], error_of(response)["param"]) == ("全能模式最多上传3个视频", "video_file")
    # 9 images and 3 videos are the most each limit allows: exactly the 12-material ceiling, so the server's
    # "全能模式图片+视频总数不超过12个" cannot be reached through these fields.
    assert omni(client, images, videos).status_code == 200


def test_omni_reference_needs_a_seedance_2_model(client: ContractClient) -> None:
    failed = run_to_end(client, submitted(omni(client, {"model": "jimeng-video-3.0"}, [])))
    assert failed["error"]["code"] == -2001
    assert "Seedance 2.0" in failed["error"]["message"]


def test_omni_reference_videos_total_at_most_15_seconds(client: ContractClient) -> None:
    from mockserver.media.mp4 import render_mp4

    clip = render_mp4(64, 64, 24, 8.0, (10, 20, 30))
    files = [(f"video_file_{i}", (f"{i}.mp4", clip, "video/mp4")) for i in (1, 2)]
    failed = run_to_end(client, submitted(omni(client, {}, files)))
    assert failed["error"]["code"] == -2001
    assert "15" in failed["error"]["message"]
    fine = run_to_end(client, submitted(omni(client, {}, files[:1])))
    assert fine["status"] == "succeeded"


@pytest.mark.parametrize(
    ("token", "model", "ok"),
    [
        ("session", "jimeng-video-seedance-2.0", True),
        ("us-session", "jimeng-video-seedance-2.0", False),
        ("us-session", "jimeng-video-3.0", True),
        ("us-session", "jimeng-video-3.0-pro", False),
        ("sg-session", "jimeng-video-sora2", True),
        ("session", "jimeng-video-veo3", False),
        ("socks5://127.0.0.1:1080@jp-session", "jimeng-video-veo3.1", True),
        ("session", "no-such-model", False),
    ],
)
def test_the_region_decides_which_models_exist(client: ContractClient, token: str, model: str, ok: bool) -> None:
    end = run_to_end(client, submitted(video(client, bearer(token), model=model, prompt="x")), bearer(token))
    if ok:
        assert end["status"] == "succeeded"
    else:
        assert end["error"]["code"] == "unsupported_model"
        assert end["error"]["type"] == "invalid_request_error"
        assert end["error"]["message"].startswith(f'Unsupported video model "{model}". Supported models: ')
