"""The sweeper's loop against a fake clock: its cadence and when it stops (no database, no sleeping)."""

from __future__ import annotations

import pytest
from chatbatch.errors import DatabaseUnavailable
from chatbatch.services.sweep import OutboxResult, SweepResult, sweep_loop


class FakeTime:
    """A Lambda invocation of ``timeout_s`` seconds whose sweeps take ``sweep_s`` each."""

    def __init__(self, timeout_s: float, sweep_s: float) -> None:
        self.now = 0.0
        self.timeout_s = timeout_s
        self.sweep_s = sweep_s
        self.sweep_starts: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def remaining_ms(self) -> int:
        return int((self.timeout_s - self.now) * 1000)

    def step(self) -> SweepResult:
        self.sweep_starts.append(self.now)
        self.now += self.sweep_s
        return SweepResult([], OutboxResult(), self.sweep_s * 1000)


def run(fake: FakeTime, *, interval: float = 1.0, margin_ms: float = 5000):
    return sweep_loop(
        fake.step,
        interval_seconds=interval,
        remaining_ms=fake.remaining_ms,
        safety_margin_ms=margin_ms,
        clock=fake.clock,
        wait=fake.wait,
    )


def test_sweeps_every_interval_without_drift_and_stops_before_the_margin():
    fake = FakeTime(timeout_s=70, sweep_s=0.2)

    summary = run(fake)

    assert fake.sweep_starts[:3] == [0.0, 1.0, 2.0]
    assert summary.sweeps == len(fake.sweep_starts) == 65  # sweeps at 0..64 s; at 65 s only 5 s remain
    assert fake.remaining_ms() >= 5000


def test_a_slow_sweep_is_followed_at_once_and_widens_the_stop_margin():
    fake = FakeTime(timeout_s=20, sweep_s=2.5)

    summary = run(fake, margin_ms=5000)

    assert fake.sweep_starts[:3] == [0.0, 2.5, 5.0]
    # no sweep starts unless margin + slowest sweep (7.5 s) remains: the last one ends 5 s before the timeout
    assert fake.sweep_starts[-1] + 2.5 <= 20 - 5
    assert summary.sweeps == 6  # at 0, 2.5, ..., 12.5 s


def test_no_sweep_when_the_invocation_is_already_out_of_time():
    fake = FakeTime(timeout_s=4, sweep_s=0.1)

    assert run(fake).sweeps == 0


class FailingTicks(FakeTime):
    """Sweeps whose ticks in ``failing`` (0-based) raise, as a sweep does while the database is unreachable."""

    def __init__(self, timeout_s: float, sweep_s: float, failing: set[int] | None = None) -> None:
        super().__init__(timeout_s, sweep_s)
        self.failing = failing
        self.ticks = 0

    def step(self) -> SweepResult:
        tick, self.ticks = self.ticks, self.ticks + 1
        if self.failing is None or tick in self.failing:
            self.sweep_starts.append(self.now)
            self.now += self.sweep_s
            raise DatabaseUnavailable("cannot connect to the database: connection refused")
        return super().step()


def test_a_failed_tick_is_counted_and_the_loop_keeps_its_cadence():
    fake = FailingTicks(timeout_s=20, sweep_s=0.1, failing={1, 2})

    summary = run(fake)

    assert fake.sweep_starts[:5] == [0.0, 1.0, 2.0, 3.0, 4.0]  # ticks 1 and 2 failed; tick 3 came on time
    assert (summary.sweeps, summary.failed_sweeps) == (13, 2)


def test_an_invocation_in_which_every_tick_failed_raises_the_last_error():
    fake = FailingTicks(timeout_s=10, sweep_s=0.1)

    with pytest.raises(DatabaseUnavailable):
        run(fake)
    assert len(fake.sweep_starts) == 5  # it still tried on every tick until the margin
