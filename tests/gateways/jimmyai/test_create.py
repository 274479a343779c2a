"""Create: every model, every documented field, default and limit, per model."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.contracts.contract import load_contract
from tests.gateways.jimmyai.table import ARK, MODELS, SIX, create, minimal, ref, rejected
from tests.support import ContractClient

ALL = sorted(MODELS)
SEED_MODELS = [m for m in ALL if m != "seedance2.0-mini-video"]


def stored(client: ContractClient, task_id: str) -> dict[str, Any]:
    request: dict[str, Any] = client.get(f"/__admin/tasks/{task_id}").json()["request"]
    return request


def test_the_contract_lists_exactly_the_models_of_the_seed_and_its_other_pages() -> None:
    contract = load_contract("jimmyai")
    assert set(contract.schema("CreateVideoRequest")["properties"]["model"]["enum"]) == set(MODELS)
    assert set(contract.extension("x-models")) == set(MODELS)
    assert len(SEED_MODELS) == 22


@pytest.mark.parametrize("model", ALL)
def test_every_model_creates_a_queued_task(client: ContractClient, model: str) -> None:
    response = create(client, minimal(model))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == "20000" and body["msg"] == "ok"
    data = body["data"]
    assert data["status"] == "queued" and data["model"] == model
    assert data["task_id"].startswith("vid_") and len(data["task_id"]) == 20
    assert data["created_at"] == int(client.runtime.clock.now())


@pytest.mark.parametrize("model", ALL)
def test_defaults(client: ContractClient, model: str) -> None:
    task_id = create(client, minimal(model)).json()["data"]["task_id"]
    request = stored(client, task_id)
    assert request["duration"] == 5 and request["frames"] == 120 and request["fps"] == 24
    assert request["ratio"] == "16:9"
    rules = MODELS[model]
    expected = rules.resolution if isinstance(rules.resolution, str) else "720p"
    assert request["resolution"] == expected


@pytest.mark.parametrize("model", ALL)
def test_duration_range(client: ContractClient, model: str) -> None:
    low, high = MODELS[model].duration
    for seconds in (low, high):
        task_id = create(client, minimal(model, duration=seconds)).json()["data"]["task_id"]
        assert stored(client, task_id)["frames"] == seconds * 24
    for seconds in (low - 1, high + 1):
        message = rejected(create(client, minimal(model, duration=seconds)))
        assert f"duration {seconds} is not supported" in message and f"use {low} to {high} seconds" in message


@pytest.mark.parametrize("value", ["5", 5.5, True, None, [5]])
def test_duration_must_be_an_integer(client: ContractClient, value: Any) -> None:
    message = rejected(create(client, minimal("seedance2.0-std", duration=value)))
    assert message == f"duration must be an integer number of seconds, not {value!r}"


@pytest.mark.parametrize("model", ALL)
def test_ratios(client: ContractClient, model: str) -> None:
    allowed = MODELS[model].ratios
    for ratio in allowed:
        assert create(client, minimal(model, ratio=ratio)).status_code == 200, ratio
    for ratio in [r for r in ARK if r not in allowed]:
        assert repr(ratio) in rejected(create(client, minimal(model, ratio=ratio)))
    assert "ratio '2:1'" in rejected(create(client, minimal(model, ratio="2:1")))


def test_std_ratio_message_is_the_seeds(client: ContractClient) -> None:
    message = rejected(create(client, minimal("seedance2.0-std", ratio="adaptive")))
    assert message == "ratio must be one of 21:9, 16:9, 4:3, 1:1, 3:4, 9:16 on STD, not 'adaptive'"
    assert MODELS["seedance2.0-std"].ratios == SIX


def test_md_ratios_are_three(client: ContractClient) -> None:
    message = rejected(create(client, minimal("seedance2.0-md", ratio="4:3")))
    assert message == "ratio '4:3' is not supported on MD: use 16:9, 9:16 or 1:1"


@pytest.mark.parametrize(
    ("ratio", "orientation", "rendered"),
    [
        (None, "portrait", "9:16"),
        (None, "landscape", "16:9"),
        ("1:1", "portrait", "1:1"),
        ("adaptive", "portrait", "9:16"),
        ("Adaptive", None, "16:9"),
    ],
)
def test_orientation_and_ratio_precedence(
    client: ContractClient, ratio: str | None, orientation: str | None, rendered: str
) -> None:
    body = minimal("sd2_mx_720p")
    body |= {k: v for k, v in {"ratio": ratio, "orientation": orientation}.items() if v is not None}
    task_id = create(client, body).json()["data"]["task_id"]
    assert stored(client, task_id)["ratio"] == rendered


def test_orientation_values(client: ContractClient) -> None:
    message = rejected(create(client, minimal("seedance2.0-std", orientation="square")))
    assert message == "orientation 'square' is not supported: use landscape or portrait"


@pytest.mark.parametrize("model", [m for m in ALL if isinstance(MODELS[m].resolution, tuple)])
def test_chosen_resolutions(client: ContractClient, model: str) -> None:
    choices = MODELS[model].resolution
    for resolution in choices:
        task_id = create(client, minimal(model, resolution=resolution)).json()["data"]["task_id"]
        assert stored(client, task_id)["resolution"] == resolution
    for resolution in [r for r in ("480p", "720p", "1080p", "2k", "4k") if r not in choices]:
        assert f"resolution {resolution!r} is not supported" in rejected(
            create(client, minimal(model, resolution=resolution))
        )
    assert "resolution 720 is not supported" in rejected(create(client, minimal(model, resolution=720)))


@pytest.mark.parametrize("model", [m for m in ALL if isinstance(MODELS[m].resolution, str)])
@pytest.mark.parametrize("resolution", ["480p", "1080p", "4k", 720])
def test_fixed_resolution_ignores_the_field(client: ContractClient, model: str, resolution: Any) -> None:
    task_id = create(client, minimal(model, resolution=resolution)).json()["data"]["task_id"]
    assert stored(client, task_id)["resolution"] == MODELS[model].resolution


@pytest.mark.parametrize("model", ALL)
def test_images_limit(client: ContractClient, model: str) -> None:
    limit = MODELS[model].max_images
    assert create(client, minimal(model, images=[ref(model, n=n) for n in range(limit)])).status_code == 200
    message = rejected(create(client, minimal(model, images=[ref(model, n=n) for n in range(limit + 1)])))
    assert f"at most {limit} reference images" in message


@pytest.mark.parametrize("model", [m for m in ALL if MODELS[m].audio])
def test_reference_audios_limit(client: ContractClient, model: str) -> None:
    body = minimal(model, images=[ref(model)])
    assert create(client, body | {"reference_audios": [ref(model, "aud", n) for n in range(3)]}).status_code == 200
    message = rejected(create(client, body | {"reference_audios": [ref(model, "aud", n) for n in range(4)]}))
    assert message == "reference_audios takes at most 3 audio clips"


@pytest.mark.parametrize("model", [m for m in ALL if MODELS[m].videos])
def test_reference_videos_limit(client: ContractClient, model: str) -> None:
    assert create(client, minimal(model, reference_videos=[ref(model, "vid", n) for n in range(3)])).status_code == 200
    message = rejected(create(client, minimal(model, reference_videos=[ref(model, "vid", n) for n in range(4)])))
    assert message == "reference_videos takes at most 3 videos"


@pytest.mark.parametrize("model", ["seedance2.0-md", "seedance2.0-fast-md"])
def test_md_prompt_limit(client: ContractClient, model: str) -> None:
    assert create(client, minimal(model, prompt="x" * 5000)).status_code == 200
    message = rejected(create(client, minimal(model, prompt="x" * 5001)))
    assert message == "prompt is too long for MD: at most 5000 characters"


@pytest.mark.parametrize("model", [m for m in ALL if not MODELS[m].md])
def test_other_models_take_longer_prompts(client: ContractClient, model: str) -> None:
    assert create(client, minimal(model, prompt="长" * 6000)).status_code == 200


def test_prompt_is_required(client: ContractClient) -> None:
    assert rejected(create(client, {"model": "seedance2.0-std"})) == "'prompt' is a required property"
    assert (
        rejected(create(client, {"model": "seedance2.0-std", "prompt": ""})) == "prompt must be non-empty text, not ''"
    )


def test_model_is_required_and_known(client: ContractClient) -> None:
    assert "'model' is a required property" in rejected(create(client, {"prompt": "a"}))
    message = rejected(create(client, {"model": "seedance2.0-pro", "prompt": "a"}))
    assert message.startswith("model 'seedance2.0-pro' is not supported")


def test_the_seeds_three_examples_are_accepted(client: ContractClient) -> None:
    examples = [
        {"duration": 8, "ratio": "16:9", "images": ["https://example.com/ref-1.jpg", "https://example.com/ref-2.jpg"]},
        {
            "duration": 10,
            "ratio": "9:16",
            "reference_videos": ["https://example.com/motion.mp4"],
            "reference_audios": ["https://example.com/music.mp3"],
        },
        {
            "duration": 6,
            "ratio": "21:9",
            "first_image": "https://example.com/start.png",
            "last_image": "https://example.com/end.png",
        },
    ]
    modes = []
    for example in examples:
        task_id = create(client, minimal("seedance2.0-std", **example)).json()["data"]["task_id"]
        modes.append(stored(client, task_id)["mode"])
    assert modes == ["reference", "reference", "frames"]


def test_unknown_fields_are_ignored(client: ContractClient) -> None:
    assert create(client, minimal("seedance2.0-std", seed=42, watermark=False)).status_code == 200
