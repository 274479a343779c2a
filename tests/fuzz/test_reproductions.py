"""Issue 22's reproductions, one request each: every one is a 4xx in the gateway's own error format (the contract
client holds each answer to the gateway's contract), never a 500."""

from __future__ import annotations

import base64
import itertools
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from mockserver.scenarios import ScenarioFileError, parse
from mockserver.scenarios.loader import load_directory
from tests.gateways.jimmyai.table import minimal
from tests.support import AUTH, ContractClient, make_client

JSON_SUBMITS = {
    "crazyrouter": "/crazyrouter/jimeng/submit/videos",
    "gptge": "/gptge/task/jimeng/text2video",
    "octopusx": "/octopusx/v1/videos",
    "jimmyai": "/jimmyai/api/open-api/v1/seedance/videos",
    "jimeng2api": "/jimeng2api/v1/videos/generations",
    "admin": "/__admin/clock/advance",
}
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Iterator[ContractClient]:
    with make_client() as test_client:
        yield test_client


@pytest.mark.parametrize("where", JSON_SUBMITS)
def test_json_nested_past_the_interpreter_stack_is_a_400(client: ContractClient, where: str) -> None:
    body = b"[" * 1025 + b"]" * 1025
    response = client.post(JSON_SUBMITS[where], content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert "deep" in response.text


@pytest.mark.parametrize("where", JSON_SUBMITS)
def test_json_nested_past_the_setting_is_a_400_naming_it(where: str) -> None:
    with make_client(max_json_depth=3) as shallow:
        response = shallow.post(JSON_SUBMITS[where], content=b'{"a": [[[1]]]}', headers=JSON)
        assert response.status_code == 400, response.text
        assert "4 deep: the limit is 3" in response.text


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    with make_client(max_json_depth=2) as shallow:
        prompt = "[[[{{{" * 20
        response = shallow.post(JSON_SUBMITS["admin"], json={"seconds": 1, "note": prompt}, headers=JSON)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("where", JSON_SUBMITS)
def test_an_integer_of_more_than_4300_digits_is_a_400(client: ContractClient, where: str) -> None:
    body = b'{"seconds": ' + b"7" * 5000 + b', "duration": ' + b"7" * 5000 + b"}"
    response = client.post(JSON_SUBMITS[where], content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert "4300 digits" in response.text


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def declared_png(width: int, height: int) -> bytes:
    """A PNG that declares `width`x`height` pixels and holds almost none: about 60 bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


BOMB = declared_png(15000, 15000)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/crazyrouter/jimeng/submit/videos", {"model": "jimeng-video-3.0", "prompt": "a cat"}),
        ("/gptge/task/jimeng/image2video", {"prompt": "a cat"}),
        ("/octopusx/v1/video/create", None),
    ],
    ids=["crazyrouter", "gptge", "octopusx-json"],
)
def test_a_png_declaring_15000x15000_is_refused_from_its_header(
    client: ContractClient, path: str, body: dict[str, object] | None
) -> None:
    encoded = base64.b64encode(BOMB).decode()
    if body is None:  # OctopusX's JSON create takes the image as a data URL
        response = client.post(
            "/octopusx/v1/videos",
            json={
                "model": "jimeng-video-3.0",
                "prompt": "a cat",
                "input_reference": f"data:image/png;base64,{encoded}",
            },
            headers=AUTH,
        )
    else:
        response = client.post(path, json={**body, "binary_data_base64": [encoded]}, headers=AUTH)
    assert 400 <= response.status_code < 500, response.text
    assert "at most 67108864 pixels are accepted" in response.text


def test_a_png_declaring_15000x15000_is_refused_in_octopusx_multipart(client: ContractClient) -> None:
    files = [("input_reference", ("bomb.png", BOMB, "image/png"))]
    response = client.post(
        "/octopusx/v1/videos", data={"model": "jimeng-video-3.0", "prompt": "a cat"}, files=files, headers=AUTH
    )
    assert response.status_code == 400, response.text
    assert "at most 67108864 pixels are accepted" in response.text


def test_a_png_declaring_15000x15000_is_refused_in_jimeng2api_multipart(client: ContractClient) -> None:
    files = [("image_file_1", ("bomb.png", BOMB, "image/png"))]
    response = client.post(
        "/jimeng2api/v1/videos/generations",
        data={"prompt": "a cat", "model": "jimeng-video-3.0"},
        files=files,
        headers={"Authorization": "Bearer session-abc"},
    )
    assert response.status_code == 400, response.text
    assert "at most 67108864 pixels are accepted" in response.text


def test_the_pixel_limit_is_a_setting() -> None:
    with make_client(max_image_pixels=1000 * 1000) as strict:
        files = [("input_reference", ("big.png", declared_png(1280, 1000), "image/png"))]
        response = strict.post(
            "/octopusx/v1/videos", data={"model": "jimeng-video-3.0", "prompt": "a cat"}, files=files, headers=AUTH
        )
        assert response.status_code == 400, response.text
        assert "at most 1000000 pixels" in response.text


def alias_bomb(levels: int = 9) -> str:
    """A few hundred bytes of YAML that expand to 10**levels leaves through nested aliases."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, levels + 1):
        ref = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{','.join([ref] * 10)}]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_a_quick_400(client: ContractClient) -> None:
    bomb = alias_bomb()
    assert len(bomb) < 700
    started = time.perf_counter()
    response = client.post("/__admin/scenarios", json={"name": "bomb", "yaml": bomb})
    assert response.status_code == 400, response.text
    assert "aliases" in response.json()["error"]["message"]
    assert time.perf_counter() - started < 2.0  # 35 s before aliases were refused


def test_a_scenario_file_with_an_alias_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(alias_bomb(2))
    with pytest.raises(ScenarioFileError, match=r"bomb.yaml:2: YAML aliases \(\*a0\) are not allowed"):
        load_directory(tmp_path)


def test_scenario_documents_past_the_size_setting_are_refused() -> None:
    with make_client(max_scenario_bytes=100) as strict:
        document = "description: " + "x" * 200 + "\n"
        response = strict.post("/__admin/scenarios", json={"name": "long", "yaml": document})
        assert response.status_code == 400, response.text
        assert "over 100 bytes (max_scenario_bytes)" in response.text
        small = strict.post("/__admin/scenarios", json={"name": "short", "yaml": "description: ok\n"})
        assert small.status_code == 201, small.text


def test_a_lone_surrogate_in_a_scenario_is_read_as_a_replacement_character(client: ContractClient) -> None:
    response = client.post(
        "/__admin/scenarios",
        content=b'{"name": "s", "yaml": "description: \\ud800"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "\ufffd"
    with pytest.raises(ScenarioFileError, match="lone surrogate"):
        parse("description: \ud800", "s")


def test_a_long_prompt_is_refused_by_jimmyai_in_its_envelope() -> None:
    with make_client(max_prompt_chars=50) as strict:
        body = minimal("seedance2.0-std") | {"prompt": "x" * 51}
        response = strict.post("/jimmyai/api/open-api/v1/seedance/videos", json=body, headers=AUTH)
        assert response.status_code == 400, response.text
        assert response.json()["data"] is None
        assert "at most 50 are accepted (the mock's max_prompt_chars)" in response.json()["msg"]
        accepted = strict.post(
            "/jimmyai/api/open-api/v1/seedance/videos", json=body | {"prompt": "x" * 50}, headers=AUTH
        )
        assert accepted.status_code == 200, accepted.text


def test_a_long_prompt_is_refused_by_jimeng2api_in_its_format() -> None:
    with make_client(max_prompt_chars=50) as strict:
        response = strict.post(
            "/jimeng2api/v1/videos/generations",
            json={"prompt": "x" * 51, "model": "jimeng-video-3.0"},
            headers={"Authorization": "Bearer session-abc"},
        )
        assert response.status_code == 400, response.text
        assert "at most 50 are accepted" in response.json()["error"]["message"]


def test_the_default_prompt_limit_holds_a_megabyte_prompt_off(client: ContractClient) -> None:
    body = minimal("seedance2.0-std") | {"prompt": "x" * 1_000_000}
    response = client.post("/jimmyai/api/open-api/v1/seedance/videos", json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    assert len(client.runtime.store) == 0


SUBMITS = {
    "crazyrouter": ("/crazyrouter/jimeng/submit/videos", {"model": "jimeng-video-3.0", "prompt": "a cat"}, AUTH),
    "gptge": ("/gptge/task/jimeng/text2video", {"prompt": "a cat"}, AUTH),
    "octopusx": ("/octopusx/v1/video/create", None, AUTH),
    "jimmyai": ("/jimmyai/api/open-api/v1/seedance/videos", minimal("seedance2.0-std"), AUTH),
    "jimeng2api": (
        "/jimeng2api/v1/videos/generations",
        {"prompt": "a cat", "model": "jimeng-video-3.0"},
        {"Authorization": "Bearer session-abc"},
    ),
}


@pytest.mark.parametrize("provider", SUBMITS)
def test_a_submit_past_the_task_cap_gets_the_gateways_429(provider: str) -> None:
    path, body, headers = SUBMITS[provider]
    sessions = itertools.count()
    with make_client(max_tasks=2) as capped:

        def send() -> httpx2.Response:
            if body is None:
                return capped.post(
                    "/octopusx/v1/videos", data={"model": "jimeng-video-3.0", "prompt": "a cat"}, headers=headers
                )
            if provider == "jimeng2api":  # a session per task: a session's daily credits pay for two videos
                return capped.post(path, json=body, headers={"Authorization": f"Bearer session-{next(sessions)}"})
            return capped.post(path, json=body, headers=headers)

        assert [send().status_code for _ in range(2)] == [200, 200]
        refused = send()
        assert refused.status_code == 429, refused.text
        assert len(capped.runtime.store) == 2
        capped.runtime.clock.advance(86_400 * 3)  # every task finished (and some gone): room again
        assert send().status_code == 200


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_lone_surrogate_in_a_prompt_is_read_as_go_reads_it(tmp_path: Path, store: str) -> None:
    url = "memory" if store == "memory" else f"sqlite:///{tmp_path / 'mock.db'}"
    with make_client(store=url) as fresh:
        body = b'{"model": "jimeng-video-3.0", "prompt": "a \\ud800 b \\ud83d\\ude00"}'
        response = fresh.post(JSON_SUBMITS["crazyrouter"], content=body, headers=JSON)
        assert response.status_code == 200, response.text
        task = fresh.get("/__admin/tasks").json()["tasks"][0]
        assert task["request"]["prompt"] == "a \ufffd b \U0001f600"
        assert fresh.get("/__admin/cassette").status_code == 200


def test_jimeng2api_refuses_a_full_store_before_it_spends_credits() -> None:
    session = {"Authorization": "Bearer session-cap"}
    body = {"prompt": "a cat", "model": "jimeng-video-3.0"}
    with make_client(max_tasks=1) as capped:
        assert capped.post("/jimeng2api/v1/videos/generations", json=body, headers=session).status_code == 200
        before = capped.post("/jimeng2api/token/points", headers=session).json()
        refused = capped.post("/jimeng2api/v1/videos/generations", json=body, headers=session)
        assert refused.status_code == 429, refused.text
        assert capped.post("/jimeng2api/token/points", headers=session).json() == before
