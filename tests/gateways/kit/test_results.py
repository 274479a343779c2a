"""A task's video as a gateway keeps it in the task's request is the media layer's `Output`: the file a finished task
serves is the one its parsed request asked for."""

from __future__ import annotations

from typing import Any, Protocol

import pytest

from mockserver.contracts.contract import load_contract
from mockserver.gateways.crazyrouter import models as crazyrouter
from mockserver.gateways.gptge import models as gptge
from mockserver.gateways.jimmyai import models as jimmyai
from mockserver.gateways.kit.results import StoredOutput
from mockserver.gateways.octopusx import models as octopusx
from mockserver.media.spec import BadSpec, Output, VideoSpec

CAT = "An orange cat"


class ParsedRequest(Output, Protocol):
    def to_dict(self) -> dict[str, Any]:
        """What the gateway keeps of it in the task."""
        ...


def parsed_requests() -> list[ParsedRequest]:
    catalogue = jimmyai.Catalogue.from_contract(load_contract("jimmyai"))
    return [
        crazyrouter.parse_submit({"model": "jimeng-video-3.0", "prompt": CAT, "duration": 10, "aspect_ratio": "9:16"}),
        gptge.parse_submit("text2video", {"prompt": CAT, "aspect_ratio": "4:3"}),
        octopusx.parse_create({"model": "jimeng-video-3.0", "prompt": CAT, "seconds": "10", "size": "720x1280"}, []),
        octopusx.parse_unified(
            {"model": "jimeng-video-3.0", "prompt": CAT, "images": [], "size": "720P", "duration": 10}
        ),
        jimmyai.parse_create({"model": "seedance2.0-std", "prompt": CAT, "duration": 6}, catalogue),
    ]


@pytest.mark.parametrize("parsed", parsed_requests(), ids=lambda p: type(p).__module__.split(".")[-2])
def test_the_stored_request_renders_the_video_the_parsed_one_asked_for(parsed: ParsedRequest) -> None:
    assert VideoSpec.of(StoredOutput.of(parsed.to_dict()), "2d6fd2") == VideoSpec.of(parsed, "2d6fd2")
    stored = parsed.to_dict()
    assert all(type(value) in (str, int, float, bool, type(None)) for value in stored.values())  # flat: kept as is
    assert tuple(stored.values()) == tuple(parsed)  # type: ignore[arg-type]  # each is a NamedTuple: every field kept
    assert (parsed.width, parsed.height) != (0, 0) and parsed.frames > parsed.fps


def test_an_image_output_is_not_a_video() -> None:
    image = StoredOutput(width=1024, height=1024, fps=1, frames=1, kind="image")
    with pytest.raises(BadSpec):
        VideoSpec.of(image, "2d6fd2")
