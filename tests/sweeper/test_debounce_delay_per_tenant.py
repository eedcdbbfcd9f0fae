"""The DebounceDelay metric of a tenant with its own debounce window is measured against that window: the sent
job carries the tenant's window from the database (store/ai_jobs.py mark_sent)."""

from __future__ import annotations

from chatbatch.services.sweep import SweepPolicy, record_metrics, sweep
from chatbatch.store import tenant_settings

from tests.unit.test_sweep_metrics import FakeMetrics


def test_a_tenants_own_window_is_what_the_delay_is_measured_against(db, settings, chats, sqs_queue):
    # Given a tenant whose own window is 20 s (these tests' environment has 30 s) and a burst quiet for 25 s
    def own_window(cur) -> None:
        tenant_settings.lock(cur, chats.tenant)
        tenant_settings.update(cur, chats.tenant, {"debounce_seconds": 20}, changed_by="test")

    db.transaction(own_window)
    chats.bubbles(26.0, 25.0)

    # When a sweep makes and sends its job, and reports it
    result = sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    metrics = FakeMetrics()
    record_metrics(result, metrics, settings.debounce_seconds)

    # Then the job carries the tenant's window, and its delay is ~5 s past it (the sweep ran 25 s after the last
    # bubble), not 5 s early by the environment's 30 s window
    (sent,) = [job for job in result.outbox.sent if job.id in {j["id"] for j in chats.jobs()}]
    assert sent.debounce_seconds == 20
    delay_ms = (sent.enqueued_at - sent.last_message_at).total_seconds() * 1000 - 20_000
    assert delay_ms in metrics.values["DebounceDelay"]
    assert 4_000 < delay_ms < 20_000
