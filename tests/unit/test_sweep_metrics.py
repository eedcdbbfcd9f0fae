"""What one sweep reports to CloudWatch (a fake metrics sink; no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatbatch.domain.debounce import Batch, Readiness
from chatbatch.observability import MetricName
from chatbatch.services.sweep import OutboxResult, SweepResult, record_metrics
from chatbatch.store.ai_jobs import CreatedJob, SentJob

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FakeMetrics:
    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add_metric(self, name, unit, value) -> None:
        self.values.setdefault(name, []).append(value)

    def flush_metrics(self) -> None:
        pass


def batch(size: int) -> Batch:
    return Batch("s", "j", tuple(range(size)), T0, T0, Readiness.QUIET)


def test_a_sweep_reports_batches_their_sizes_sends_and_the_delay_past_the_window():
    result = SweepResult(
        created=[CreatedJob(1, batch(3)), CreatedJob(2, batch(1))],
        outbox=OutboxResult(
            sent=[
                SentJob(1, resend=False, last_message_at=T0, enqueued_at=T0 + timedelta(seconds=3.25)),
                SentJob(9, resend=True, last_message_at=T0 - timedelta(hours=2), enqueued_at=T0),  # a stuck re-send
            ]
        ),
        duration_ms=12.5,
    )
    metrics = FakeMetrics()

    record_metrics(result, metrics, debounce_seconds=3)

    assert metrics.values == {
        MetricName.SWEEP_DURATION.value: [12.5],
        MetricName.BATCHES_CREATED.value: [2],
        MetricName.BUBBLES_PER_BATCH.value: [3, 1],
        MetricName.JOBS_ENQUEUED.value: [2],
        MetricName.DEBOUNCE_DELAY.value: [250.0],  # first sends only: 3.25 s after the last bubble - 3 s window
    }


def test_an_idle_sweep_reports_only_its_duration():
    metrics = FakeMetrics()

    record_metrics(SweepResult([], OutboxResult(), 0.8), metrics, debounce_seconds=3)

    assert metrics.values == {MetricName.SWEEP_DURATION.value: [0.8]}


def test_the_delay_past_the_window_is_measured_against_the_tenants_own_window():
    # A tenant with a 10 s window: its job sent 10.4 s after the last bubble is 400 ms late, not 7.4 s
    own = SentJob(3, resend=False, last_message_at=T0, enqueued_at=T0 + timedelta(seconds=10.4), debounce_seconds=10)
    default = SentJob(4, resend=False, last_message_at=T0, enqueued_at=T0 + timedelta(seconds=3.1))
    metrics = FakeMetrics()

    record_metrics(SweepResult([], OutboxResult(sent=[own, default]), 1.0), metrics, debounce_seconds=3)

    assert [round(v) for v in metrics.values[MetricName.DEBOUNCE_DELAY.value]] == [400, 100]
