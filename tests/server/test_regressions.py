"""Regression tests for bugs found by review: each failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.core.clock import MockClock
from mockserver.core.randomness import RandomSource
from mockserver.engine import Fixed, Lifecycle, LifecycleError, MemoryStore, Outcome, Polls, StepPlan, evaluate
from mockserver.engine.engine import Submission, TaskEngine
from mockserver.engine.lifecycle import draw_schedule
from mockserver.engine.timing import TimingError, parse_timing
from mockserver.media.ranges import parse_range
from mockserver.media.signing import SignatureError, UrlSigner
from mockserver.server.settings import Settings, SettingsError
from tests.engine.lifecycles import FOUR_STATES

LIFECYCLE = FOUR_STATES


@pytest.mark.parametrize("header", ["bytes=\xb2-5", "bytes=0-\xb3", "bytes=\u0661-5"])
def test_range_with_non_ascii_digits_is_ignored(header: str) -> None:
    assert parse_range(header, 100) is None


def test_non_ascii_signature_is_a_signature_error() -> None:
    signer = UrlSigner(b"k")
    query = dict(pair.split("=") for pair in signer.sign("/p", {"a": "1"}, 100).split("&"))
    query["signature"] = "é" + query["signature"][1:]
    with pytest.raises(SignatureError):
        signer.verify("/p", query, 0)


def test_signature_cannot_be_moved_to_other_parameters() -> None:
    signer = UrlSigner(b"k")
    signature = dict(pair.split("=", 1) for pair in signer.sign("/p", {"a": "1&b=2"}, 100).split("&"))["signature"]
    with pytest.raises(SignatureError):
        signer.verify("/p", {"a": "1", "b": "2", "expires": "100", "signature": signature}, 0)


@pytest.mark.parametrize("value", [{"lognormal": [60]}, {"lognormal": 60}])
def test_lognormal_needs_a_mapping(value: object) -> None:
    with pytest.raises(TimingError):
        parse_timing(value)


@pytest.mark.parametrize("transitions", [None, ["a"]])
def test_malformed_transitions_are_a_lifecycle_error(transitions: object) -> None:
    spec = {
        "states": ["q", "s", "f"],
        "initial": "q",
        "success": "s",
        "failure": "f",
        "terminal": ["s", "f"],
        "transitions": transitions,
    }
    with pytest.raises(LifecycleError):
        Lifecycle.from_contract(spec)


@pytest.mark.parametrize(
    "text",
    [
        "providers:\n  crazyrouter:\n    timings: [1, 2]\n",
        "providers:\n  crazyrouter:\n    timings: {queued: {lognormal: 60}}\n",
        "providers:\n  crazyrouter:\n    url_ttl: true\n",
        "providers:\n  crazyrouter:\n    api_keys: [1, 2]\n",
    ],
)
def test_bad_provider_options_are_settings_errors(tmp_path: Path, text: str) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text(text)
    with pytest.raises(SettingsError):
        Settings.load(config=config, environ={})


def test_non_utf8_config_is_a_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_bytes(b"port: \xff\xfe")
    with pytest.raises(SettingsError, match="not UTF-8"):
        Settings.load(config=config, environ={})


def test_provider_api_keys_as_a_string_is_a_list_of_keys() -> None:
    settings = Settings(provider_options={"crazyrouter": {"api_keys": "k1, k2"}})
    assert settings.for_provider("crazyrouter").api_keys == frozenset({"k1", "k2"})


def test_a_poll_keyed_step_leaves_the_end_to_be_dated_by_the_read() -> None:
    plan = [StepPlan("queued", Polls(2)), StepPlan("processing", Fixed(5.0), (1, 99))]
    schedule = draw_schedule(LIFECYCLE, plan, Outcome("succeeded"), __import__("random").Random(0))
    assert evaluate(schedule, 9, 2).state == "queued"
    assert evaluate(schedule, 10, 3).finished_after is None

    clock = MockClock("virtual", start=0)
    engine = TaskEngine(MemoryStore(), clock, RandomSource(0))
    view = engine.submit(Submission("p", LIFECYCLE, plan, Outcome("succeeded"), {}, lambda rng: "t", 60))
    clock.advance(9)
    assert [engine.poll("p", view.task.id).state for _ in range(2)] == ["queued", "queued"]  # type: ignore[union-attr]
    clock.advance(1)
    finished = engine.poll("p", view.task.id)
    assert finished is not None and finished.state == "succeeded"
    assert finished.finished_at == 10


def test_a_poll_under_another_provider_is_not_counted() -> None:
    engine = TaskEngine(MemoryStore(), MockClock("virtual", start=0), RandomSource(0))
    plan = [StepPlan("queued", Polls(1))]
    view = engine.submit(Submission("p", LIFECYCLE, plan, Outcome("failed", error={"code": 1}), {}, lambda r: "t", 60))
    assert engine.poll("q", view.task.id) is None
    assert view.task.polls == 0


def test_a_gateway_path_with_a_newline_is_answered_by_the_gateway_in_its_own_shape() -> None:
    # found by schemathesis: such a path fell through to the app's own 404, which no gateway documents
    from tests.support import make_client

    client = make_client()
    answer = client.get("/octopusx/v1/videos/a%0Ab/content", headers={"Authorization": "Bearer sk-test"})
    assert answer.status_code == 404
    assert answer.json()["error"]["type"] == "invalid_request_error"
    crazy = client.get("/crazyrouter/jimeng/fetch/1%0A2", headers={"Authorization": "Bearer sk-test"})
    assert crazy.json() == {"code": "task_not_exist", "message": "task_not_exist", "data": None}
