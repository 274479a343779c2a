"""How the runner behaves, beyond the checks: Retry-After honoured, the time it reports, and what it says when
PyAV is missing. Against the in-process mock, with the shared scenarios forcing the situations."""

from __future__ import annotations

import json
import sys
from typing import Any
from xml.etree import ElementTree

import pytest

from mockserver.conformance import Runner, RunResult, Target, in_process
from mockserver.conformance.report import as_json, junit, terminal
from mockserver.server.runtime import MockRuntime
from mockserver.server.settings import Settings

SCENARIO_PROVIDERS = ["crazyrouter", "octopusx", "jimmyai"]


def runtime() -> MockRuntime:
    return MockRuntime(Settings(clock="virtual"))


def with_scenario(target: Target, scenario: str) -> Target:
    target.client.headers["X-Mock-Scenario"] = scenario
    return target


def logged(target: Target, clock: Any) -> list[tuple[float, str, int, str | None]]:
    """Every request the runner sends, as (virtual time, path, status, Retry-After)."""
    log: list[tuple[float, str, int, str | None]] = []
    send = target.send

    def send_and_log(method: str, path: str, **kwargs: Any) -> Any:
        response = send(method, path, **kwargs)
        log.append((clock.now(), path, response.status_code, response.headers.get("retry-after")))
        return response

    target.send = send_and_log  # type: ignore[method-assign]
    return log


@pytest.mark.parametrize("gateway", SCENARIO_PROVIDERS)
def test_the_runner_waits_as_long_as_retry_after_says(gateway: str) -> None:
    mock = runtime()
    target = with_scenario(in_process(gateway, mock), "rate_limited_polls")
    log = logged(target, mock.clock)
    result = Runner(target, budget=1).run()
    assert result.ok, terminal([result])
    refused = [i for i, (_, _, status, _) in enumerate(log) if status == 429]
    assert len(refused) == 2
    for i in refused:
        at, path, _, retry_after = log[i]
        assert retry_after == "2"
        again_at, again_path, _, _ = log[i + 1]
        assert again_path == path, "the runner retries the refused request"
        assert again_at - at >= 2.0, f"retried after {again_at - at} s, Retry-After said 2"


@pytest.mark.parametrize("gateway", SCENARIO_PROVIDERS)
def test_a_success_without_a_url_is_reported_by_the_lifecycle_check(gateway: str) -> None:
    result = Runner(with_scenario(in_process(gateway), "no_url"), budget=1).run()
    failed = {(o.check, o.failure.title) for o in result.failures if o.failure}
    assert failed == {("result_url_exactly_when_succeeded", "Succeeded without a result URL")}
    assert "carries no result URL" in terminal([result])


def test_without_pyav_the_report_says_how_to_check_dimensions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    with pytest.raises(ImportError):
        import av  # noqa: F401
    result = Runner(in_process("crazyrouter"), budget=1).run()
    assert result.ok, terminal([result])
    media = [o for o in result.outcomes if o.check == "media_matches_request"]
    assert media and all(o.note.startswith("dimensions not checked: install PyAV") for o in media)
    assert "note: dimensions not checked: install PyAV (pip install av) to decode videos" in terminal([result])


def test_without_pyav_the_duration_is_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)
    target = in_process("crazyrouter")
    runner = Runner(target, budget=1)
    runner.plan = {**runner.plan, "submit": {**runner.plan["submit"], "expect": {"duration": 10}}}
    result = runner.run()
    assert {o.check for o in result.failures} == {"media_matches_request"}
    assert "duration 5.04 s (asked for 10 s)" in terminal([result])


def test_reports_keep_wall_time_and_virtual_time_apart() -> None:
    mock = runtime()
    started = mock.clock.now()
    result = Runner(in_process("crazyrouter", mock), budget=1).run()
    advanced = mock.clock.now() - started
    assert result.ok
    assert result.virtual_seconds == pytest.approx(advanced) and advanced > 30
    assert 0 < result.wall_seconds < advanced
    line = terminal([result]).splitlines()[-1]
    assert line.endswith(f"{result.wall_seconds:.1f} s wall, {result.virtual_seconds:.1f} s virtual"), line
    document = json.loads(as_json([result]))[0]
    assert document["wall_seconds"] == round(result.wall_seconds, 3)
    assert document["virtual_seconds"] == round(advanced, 3)
    suite = ElementTree.fromstring(junit([result])).find("testsuite")
    assert suite is not None and float(suite.get("time", "0")) == pytest.approx(result.wall_seconds, abs=1e-3)
    virtual = suite.find("properties/property[@name='virtual_seconds']")
    assert virtual is not None and float(virtual.get("value", "0")) == pytest.approx(advanced, abs=1e-3)


def test_a_target_that_really_waits_reports_no_virtual_time() -> None:
    mock = runtime()
    waited: list[float] = []
    real = in_process("crazyrouter", mock)

    def really_wait(seconds: float) -> None:  # a real gateway's wait, faked on the mock's clock
        waited.append(seconds)
        mock.clock.advance(seconds)

    target = Target(real.provider, real.client, real.api_key, really_wait, "a gateway that really waits")
    result: RunResult = Runner(target, budget=1).run()
    assert result.ok and sum(waited) > 30
    assert result.virtual_seconds == 0
    assert terminal([result]).splitlines()[-1].endswith(f"{result.wall_seconds:.1f} s")
    assert json.loads(as_json([result]))[0]["virtual_seconds"] == 0
