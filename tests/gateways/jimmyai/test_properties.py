"""Property tests over model x field combinations: each body gets 200 exactly when the seed's rules
(tests/jimmyai/table.py, written independently of the contract) allow it, else the documented 400;
arbitrary JSON never gets anything but 200 or 400."""

from __future__ import annotations

import json
import random
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.gateways.jimmyai import models as jimmyai_models
from tests.gateways.jimmyai.table import ARK, CREATE, MODELS, broken_rule, create
from tests.support import AUTH, ContractClient

IMAGE_URLS = ["https://example.com/a.png", "asset://img-1", "http://example.com/a.png", ""]
VIDEO_URLS = ["https://example.com/m.mp4", "https://example.com/m.jpg", "asset://vid-1", "https://cdn.example.com/clip"]
AUDIO_URLS = ["https://example.com/a.mp3", "asset://aud-1", "http://example.com/a.mp3"]

optional_fields = {
    "duration": st.integers(min_value=-1, max_value=17),
    "ratio": st.sampled_from([*ARK, "2:1", "16:10"]),
    "resolution": st.sampled_from(["480p", "720p", "1080p", "2k", "4k"]),
    "orientation": st.sampled_from(["landscape", "portrait"]),
    "images": st.lists(st.sampled_from(IMAGE_URLS), max_size=10),
    "first_image": st.sampled_from(IMAGE_URLS),
    "last_image": st.sampled_from(IMAGE_URLS),
    "reference_videos": st.lists(st.sampled_from(VIDEO_URLS), max_size=4),
    "reference_audios": st.lists(st.sampled_from(AUDIO_URLS), max_size=4),
}


@st.composite
def typed_bodies(draw: st.DrawFn) -> dict[str, Any]:
    model = draw(st.sampled_from(sorted(MODELS)))
    prompt = draw(st.sampled_from(["a fox in the snow", "长" * 5000, "x" * 5001]))
    chosen = draw(st.sets(st.sampled_from(sorted(optional_fields)), max_size=len(optional_fields)))
    body: dict[str, Any] = {"model": model, "prompt": prompt}
    for name in sorted(chosen):
        body[name] = draw(optional_fields[name])
    # Full-route models mostly get asset:// references, or nearly every draw would be refused for the scheme.
    if MODELS[model].scheme == "asset" and draw(st.booleans()):
        for key in ("images", "reference_videos", "reference_audios"):
            if key in body:
                body[key] = [f"asset://{key}-{n}" for n, _ in enumerate(body[key])]
        for key in ("first_image", "last_image"):
            if body.get(key):
                body[key] = f"asset://{key}"
    return body


@settings(max_examples=600, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(body=typed_bodies())
def test_every_combination_is_accepted_exactly_when_the_seed_allows_it(
    client: ContractClient, body: dict[str, Any]
) -> None:
    response = create(client, body)
    rule = broken_rule(body)
    if rule is None:
        assert response.status_code == 200, f"allowed by the seed, refused: {response.text}"
        assert response.json()["data"]["model"] == body["model"]
    else:
        assert response.status_code == 400, f"breaks {rule!r}, got {response.status_code}"
        envelope = response.json()
        assert envelope["code"] == "40000" and envelope["data"] is None and envelope["msg"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
field_names = st.sampled_from(["model", "prompt", *optional_fields])


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    body=st.builds(
        lambda model, rest: {"model": model, **rest},
        st.sampled_from(sorted(MODELS)),
        st.dictionaries(field_names, json_values, max_size=6),
    )
    | json_values
)
def test_any_json_gets_200_or_a_400_never_a_crash(client: ContractClient, body: Any) -> None:
    response = client.post(CREATE, content=json.dumps(body), headers=AUTH)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["code"] == "40000" and response.json()["msg"]


@given(st.integers(min_value=0, max_value=2**64))
def test_task_ids_are_the_base36_digits_of_one_draw(seed: int) -> None:
    """An id spells the last 16 base-36 digits of one 128-bit draw, least significant first."""
    bits = random.Random(seed).getrandbits(128)
    task_id = jimmyai_models.new_task_id(random.Random(seed))
    alphabet = string.digits + string.ascii_lowercase
    assert task_id.startswith("vid_") and len(task_id) == 20 and set(task_id[4:]) <= set(alphabet)
    assert int(task_id[4:][::-1], 36) == bits % 36**16
