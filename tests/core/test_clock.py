from __future__ import annotations

import math

import pytest

from mockserver.core import clock as clock_module
from mockserver.core.clock import (
    DEFAULT_VIRTUAL_START,
    ClockError,
    MockClock,
    ScaledClock,
    SystemClock,
    VirtualClock,
)


class FakeTime:
    """Stands in for the `time` module inside mockserver.core.clock: wall and monotonic time move only when told."""

    def __init__(self, wall: float = 1_000_000.0, mono: float = 500.0) -> None:
        self.wall = wall
        self.mono = mono

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def tick(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(clock_module, "time", fake)
    return fake


# SystemClock


def test_system_clock_reads_wall_time(fake_time: FakeTime) -> None:
    clock = SystemClock()
    assert clock.mode == "system"
    assert clock.now() == 1_000_000.0
    fake_time.tick(2.5)
    assert clock.now() == 1_000_002.5


# ScaledClock


def test_scaled_clock_runs_twenty_times_faster_at_scale_0_05(fake_time: FakeTime) -> None:
    clock = ScaledClock(0.05, start=1000.0)
    assert clock.mode == "scaled"
    assert clock.scale == 0.05
    assert clock.now() == 1000.0
    fake_time.mono += 3.0
    assert clock.now() == pytest.approx(1060.0)
    fake_time.mono += 0.5
    assert clock.now() == pytest.approx(1070.0)


def test_scaled_clock_starts_at_wall_time_without_start(fake_time: FakeTime) -> None:
    clock = ScaledClock(0.5)
    assert clock.now() == 1_000_000.0
    fake_time.tick(1.0)
    assert clock.now() == pytest.approx(1_000_002.0)


def test_scaled_clock_ignores_wall_clock_jumps(fake_time: FakeTime) -> None:
    clock = ScaledClock(1.0, start=10.0)
    fake_time.wall -= 3600.0  # an NTP step backwards must not move the mock's time
    assert clock.now() == 10.0


def test_scaled_clock_slower_than_real_time(fake_time: FakeTime) -> None:
    clock = ScaledClock(2.0, start=0.0)
    fake_time.mono += 10.0
    assert clock.now() == pytest.approx(5.0)


@pytest.mark.parametrize("scale", [0, 0.0, -1.0, math.nan])
def test_scaled_clock_rejects_non_positive_scale(scale: float) -> None:
    with pytest.raises(ValueError, match="scale must be a positive number"):
        ScaledClock(scale, start=0.0)


# VirtualClock


def test_virtual_clock_default_start_is_fixed() -> None:
    assert DEFAULT_VIRTUAL_START == 1_767_225_600.0
    clock = VirtualClock()
    assert clock.mode == "virtual"
    assert clock.now() == DEFAULT_VIRTUAL_START


def test_virtual_clock_does_not_move_with_real_time(fake_time: FakeTime) -> None:
    clock = VirtualClock(100.0)
    fake_time.tick(50.0)
    assert clock.now() == 100.0


def test_virtual_clock_advance() -> None:
    clock = VirtualClock(100.0)
    clock.advance(2.5)
    clock.advance(0)
    assert clock.now() == 102.5


def test_virtual_clock_rejects_negative_advance() -> None:
    clock = VirtualClock(100.0)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-0.001)
    assert clock.now() == 100.0


# MockClock: construction


def test_mock_clock_default_is_system(fake_time: FakeTime) -> None:
    clock = MockClock()
    assert clock.mode == "system"
    assert clock.scale == 1.0
    assert clock.now() == 1_000_000.0
    fake_time.tick(1.0)
    assert clock.now() == 1_000_001.0


def test_mock_clock_virtual_mode_default_start(fake_time: FakeTime) -> None:
    clock = MockClock("virtual")
    assert clock.mode == "virtual"
    assert clock.scale == 0.0
    assert clock.now() == DEFAULT_VIRTUAL_START
    fake_time.tick(100.0)
    assert clock.now() == DEFAULT_VIRTUAL_START


def test_mock_clock_virtual_mode_explicit_start() -> None:
    clock = MockClock("virtual", start=42.0)
    assert clock.now() == 42.0


def test_mock_clock_virtual_mode_ignores_time_scale() -> None:
    clock = MockClock("virtual", time_scale=0.05, start=0.0)
    assert clock.mode == "virtual"
    assert clock.scale == 0.0


def test_mock_clock_system_mode_with_scale_is_scaled(fake_time: FakeTime) -> None:
    clock = MockClock("system", time_scale=0.05)
    assert clock.mode == "scaled"
    assert clock.scale == 0.05
    assert clock.now() == 1_000_000.0
    fake_time.tick(1.0)
    assert clock.now() == pytest.approx(1_000_020.0)


def test_mock_clock_system_mode_with_start_runs_from_start(fake_time: FakeTime) -> None:
    clock = MockClock("system", start=5000.0)
    assert clock.mode == "scaled"
    assert clock.scale == 1.0
    assert clock.now() == 5000.0
    fake_time.tick(3.0)
    assert clock.now() == pytest.approx(5003.0)


@pytest.mark.parametrize("mode", ["scaled", "realtime", "", "VIRTUAL"])
def test_mock_clock_unknown_mode(mode: str) -> None:
    with pytest.raises(ClockError, match="unknown clock mode"):
        MockClock(mode)


@pytest.mark.parametrize("scale", [0.0, -0.5])
def test_mock_clock_bad_scale_is_clock_error(scale: float) -> None:
    with pytest.raises(ClockError, match="scale must be a positive number"):
        MockClock("system", time_scale=scale)


def test_clock_error_is_value_error() -> None:
    assert issubclass(ClockError, ValueError)


# MockClock: advance and set


def test_advance_moves_forward_and_returns_now() -> None:
    clock = MockClock("virtual", start=100.0)
    assert clock.advance(10.0) == 110.0
    assert clock.advance(0) == 110.0
    assert clock.now() == 110.0


def test_advance_on_a_running_clock_adds_to_flowing_time(fake_time: FakeTime) -> None:
    clock = MockClock("system", time_scale=0.05, start=0.0)
    assert clock.advance(100.0) == pytest.approx(100.0)
    fake_time.tick(1.0)
    assert clock.now() == pytest.approx(120.0)


@pytest.mark.parametrize("seconds", [-1.0, -1e-9, math.nan])
def test_advance_rejects_negative(seconds: float) -> None:
    clock = MockClock("virtual", start=100.0)
    with pytest.raises(ClockError, match="only moves forward"):
        clock.advance(seconds)
    assert clock.now() == 100.0


def test_set_moves_to_a_later_instant() -> None:
    clock = MockClock("virtual", start=100.0)
    assert clock.set(250.0) == 250.0
    assert clock.now() == 250.0


def test_set_to_the_current_instant_is_allowed() -> None:
    clock = MockClock("virtual", start=100.0)
    assert clock.set(100.0) == 100.0


def test_set_backwards_raises_and_keeps_time() -> None:
    clock = MockClock("virtual", start=100.0)
    clock.advance(50.0)
    with pytest.raises(ClockError, match="only moves forward"):
        clock.set(149.0)
    assert clock.now() == 150.0


def test_set_on_a_running_clock_keeps_flowing(fake_time: FakeTime) -> None:
    clock = MockClock("system", time_scale=0.5, start=0.0)
    fake_time.tick(1.0)
    assert clock.now() == pytest.approx(2.0)
    assert clock.set(1000.0) == pytest.approx(1000.0)
    fake_time.tick(1.0)
    assert clock.now() == pytest.approx(1002.0)


# MockClock: freeze and run


def test_freeze_keeps_the_current_instant(fake_time: FakeTime) -> None:
    clock = MockClock("system", time_scale=0.05, start=0.0)
    fake_time.tick(1.0)
    clock.advance(5.0)
    assert clock.freeze() == pytest.approx(25.0)
    assert clock.mode == "virtual"
    assert clock.scale == 0.0
    fake_time.tick(100.0)
    assert clock.now() == pytest.approx(25.0)


def test_frozen_clock_can_still_advance(fake_time: FakeTime) -> None:
    clock = MockClock("system", start=10.0)
    clock.freeze()
    assert clock.advance(5.0) == 15.0
    fake_time.tick(3.0)
    assert clock.now() == 15.0


def test_run_continues_from_the_current_instant_without_a_jump(fake_time: FakeTime) -> None:
    clock = MockClock("virtual", start=100.0)
    clock.advance(20.0)
    assert clock.run(0.05) == 120.0
    assert clock.now() == 120.0
    assert clock.mode == "scaled"
    assert clock.scale == 0.05
    fake_time.tick(2.0)
    assert clock.now() == pytest.approx(160.0)


def test_run_default_scale_is_real_time(fake_time: FakeTime) -> None:
    clock = MockClock("virtual", start=100.0)
    assert clock.run() == 100.0
    assert clock.scale == 1.0
    fake_time.tick(2.0)
    assert clock.now() == pytest.approx(102.0)


def test_rescaling_a_running_clock_does_not_jump(fake_time: FakeTime) -> None:
    clock = MockClock("system", time_scale=0.05, start=0.0)
    fake_time.tick(1.0)
    before = clock.now()
    assert before == pytest.approx(20.0)
    assert clock.run(1.0) == pytest.approx(before)
    fake_time.tick(1.0)
    assert clock.now() == pytest.approx(21.0)


def test_run_with_bad_scale_raises_and_keeps_clock() -> None:
    clock = MockClock("virtual", start=100.0)
    with pytest.raises(ClockError):
        clock.run(0.0)
    assert clock.mode == "virtual"
    assert clock.now() == 100.0


# MockClock: reset and describe


def test_reset_returns_to_the_initial_virtual_clock(fake_time: FakeTime) -> None:
    clock = MockClock("virtual", start=100.0)
    clock.advance(50.0)
    clock.run(0.05)
    fake_time.tick(10.0)
    clock.reset()
    assert clock.mode == "virtual"
    assert clock.now() == 100.0


def test_reset_returns_to_the_initial_default_virtual_start() -> None:
    clock = MockClock("virtual")
    clock.set(DEFAULT_VIRTUAL_START + 1000)
    clock.reset()
    assert clock.now() == DEFAULT_VIRTUAL_START


def test_reset_returns_to_the_initial_scaled_clock(fake_time: FakeTime) -> None:
    clock = MockClock("system", time_scale=0.05, start=0.0)
    clock.freeze()
    clock.advance(500.0)
    clock.reset()
    assert clock.mode == "scaled"
    assert clock.scale == 0.05
    assert clock.now() == 0.0
    fake_time.tick(1.0)
    assert clock.now() == pytest.approx(20.0)


def test_reset_returns_to_the_system_clock(fake_time: FakeTime) -> None:
    clock = MockClock()
    clock.advance(1000.0)
    clock.freeze()
    clock.reset()
    assert clock.mode == "system"
    assert clock.now() == 1_000_000.0


def test_describe_virtual() -> None:
    clock = MockClock("virtual", start=100.0)
    clock.advance(1.5)
    assert clock.describe() == {"now": 101.5, "mode": "virtual", "scale": 0.0}


def test_describe_system(fake_time: FakeTime) -> None:
    assert MockClock().describe() == {"now": 1_000_000.0, "mode": "system", "scale": 1.0}


def test_describe_scaled(fake_time: FakeTime) -> None:
    clock = MockClock("system", time_scale=0.25, start=8.0)
    assert clock.describe() == {"now": 8.0, "mode": "scaled", "scale": 0.25}
