"""The sweeper survives a failed tick: a database that is unreachable for a few ticks costs those ticks only;
the same invocation batches and sends once the database is back."""

from __future__ import annotations

from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.services.sweep import LoopSummary, SweepPolicy, run_sweeps
from chatbatch_local.postgres import free_port


class Blip:
    """Connection parameters that point nowhere for the first ``ticks`` connection attempts."""

    def __init__(self, real, ticks: int) -> None:
        self.real = real
        self.left = ticks
        self.nowhere = f"postgresql://chatbatch@127.0.0.1:{free_port()}/chatbatch"

    def __call__(self) -> dict:
        if self.left > 0:
            self.left -= 1
            return {**self.real(), "dsn": self.nowhere, "connect_timeout": 1}
        return self.real()


class Clock:
    """A fake monotonic clock for a 15 s invocation: ticks of 1 s, no real waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += seconds

    def remaining_ms(self) -> int:
        return int((15 - self.now) * 1000)


class Metrics:
    def add_metric(self, **_) -> None: ...

    def flush_metrics(self) -> None: ...


def one_invocation(db: Database, settings, clock: Clock) -> LoopSummary:
    """The sweeper function's loop for one invocation of 15 s on ``clock`` (no real waiting)."""
    return run_sweeps(
        db,
        SqsJobQueue.from_settings(settings),
        SweepPolicy.from_settings(settings),
        remaining_ms=clock.remaining_ms,
        metrics=Metrics(),
        clock=clock.monotonic,
        wait=clock.wait,
    )


def test_a_database_blip_costs_ticks_not_the_invocation(make_settings, chats, queue):
    # Given a ready chat and a database that cannot be reached for the first three ticks
    settings = make_settings(debounce_seconds=1, sweep_interval_seconds=1, sweep_safety_margin_seconds=5)
    chats.bubbles(5.0)
    db = Database(Blip(connect_params_from_settings(settings), ticks=3))
    clock = Clock()

    # When one invocation runs its loop
    summary = one_invocation(db, settings, clock)
    db.close()

    # Then the failed ticks were counted, and a later tick of the same invocation made and sent the job
    assert summary.failed_sweeps == 3
    assert summary.sweeps >= 1 and summary.jobs_enqueued >= 1
    assert [job["status"] for job in chats.jobs()] == ["enqueued"]
    assert len(queue.job_ids(chats.tenant)) == 1
