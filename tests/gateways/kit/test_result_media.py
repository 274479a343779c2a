"""Result files show their task: the caption travels in the signed URL, uploaded images by their content key."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
from PIL import Image

from mockserver.media.overlay import VideoLayout
from mockserver.media.picture import ImageSpec, panel_height
from mockserver.media.spec import VideoSpec
from tests.gateways.jimeng2api.helpers import BASE, SESSION, record, submitted
from tests.gateways.jimeng2api.helpers import run_to_end as run_jimeng2api
from tests.support import ContractClient, fetch, png_base64, run_to_end, submit

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 60), (40, 60, 220)


def frames_of(data: bytes) -> list[Image.Image]:
    with av.open(io.BytesIO(data), mode="r") as container:
        return [frame.to_image() for frame in container.decode(video=0)]  # type: ignore[no-untyped-call]


def close(pixel: Any, rgb: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb, strict=True))


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_a_crazyrouter_video_names_its_task_and_starts_from_the_uploaded_image(client: ContractClient) -> None:
    body = {"prompt": "the red square slowly turns into a sunset over the sea", "duration": 5}
    task_id = submit(client, binary_data_base64=[png_base64(1200, 900, color=RED)], **body).json()["id"]
    run_to_end(client, task_id)
    url = fetch(client, task_id)["url"]
    params = query(url)
    assert (params["gw"], params["task"], params["model"]) == ("crazyrouter", task_id, "jimeng-video-3.0")
    assert params["words"] == "the red square slowly turns into..."
    assert len(params["img"]) == 16 and len(url) < 600
    spec = VideoSpec.from_params(params)
    frames = frames_of(client.get(url).content)
    assert close(frames[0].getpixel((100, 100)), RED)
    assert close(frames[0].getpixel((100, VideoLayout(spec).panel_top + 4)), (0, 0, 0), tolerance=60)  # the panel


def multipart_video(client: ContractClient, files: list[tuple[str, Any]]) -> str:
    fields = {"prompt": "from red to green", "model": "jimeng-video-3.0"}
    response = client.post(f"{BASE}/v1/videos/generations", data=fields, files=files, headers=SESSION)
    return submitted(response)


def test_a_jimeng2api_first_and_last_frame_video_starts_on_one_and_ends_on_the_other(client: ContractClient) -> None:
    files = [
        ("image1", ("first.png", png_of(RED), "image/png")),
        ("image2", ("last.png", png_of(GREEN), "image/png")),
    ]
    task_id = multipart_video(client, files)
    assert [len(key) for key in record(client, task_id)["image_keys"]] == [16, 16]
    url = run_jimeng2api(client, task_id)["result"]["data"][0]["url"]
    frames = frames_of(client.get(url).content)
    assert close(frames[0].getpixel((50, 50)), RED)
    assert close(frames[-1].getpixel((50, 50)), GREEN)


def test_a_jimeng2api_composition_shows_its_inputs_as_tiles(client: ContractClient) -> None:
    files = [("images", (f"{i}.png", png_of(color), "image/png")) for i, color in enumerate((RED, BLUE))]
    fields = {"prompt": "merge the two", "ratio": "1:1", "resolution": "2k"}
    response = client.post(f"{BASE}/v1/images/compositions", data=fields, files=files, headers=SESSION)
    done = run_jimeng2api(client, submitted(response))
    url = done["result"]["data"][0]["url"]
    params = query(url)
    assert (params["ratio"], params["res"], params["gw"]) == ("1:1", "2k", "jimeng2api")
    assert len(params["in"].split(",")) == 2
    spec = ImageSpec.from_params(params, "webp")
    with Image.open(io.BytesIO(client.get(url).content)) as image:
        picture = image.convert("RGB")
    panel_top = spec.height - panel_height(spec)
    side = panel_top // 6
    for index, color in enumerate((RED, BLUE)):
        centre = (16 + index * (side + 16) + side // 2, panel_top - 16 - side // 2)
        assert close(picture.getpixel(centre), color, tolerance=12)


def png_of(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), color).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_recamera_video_shows_its_template(client: ContractClient) -> None:
    body = {"prompt": "orbit", "image_url": "https://example.com/a.png", "template_id": "hitchcock_dolly_in"}
    task_id = submit(client, **body).json()["id"]
    run_to_end(client, task_id)
    assert query(fetch(client, task_id)["url"])["model"] == "jimeng-video-3.0 · template hitchcock_dolly_in"
