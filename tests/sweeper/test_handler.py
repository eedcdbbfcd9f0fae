"""The sweeper function as Lambda runs it: the events/ scheduled event, a context with a deadline."""

from __future__ import annotations

import json
import time

import pytest
from chatbatch.observability import MetricName
from chatbatch_local.lambda_runtime import LambdaContext, load_function

from tests.support import load_event


@pytest.fixture
def sweeper_function(database_url, queue, monkeypatch, reset_settings):
    monkeypatch.setenv("QUEUE_URL", queue.url)
    monkeypatch.setenv("SQS_ENDPOINT_URL", queue.endpoint_url)
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "0.1")
    monkeypatch.setenv("SWEEP_SAFETY_MARGIN_SECONDS", "0.4")
    return load_function("sweeper")


def emitted_metrics(stdout: str) -> set[str]:
    names = set()
    for line in stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            doc = json.loads(line)
            names |= {m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    return names


def test_the_handler_sweeps_repeatedly_and_returns_before_the_lambda_timeout(sweeper_function, chats, queue, capsys):
    chats.bubbles(5.0, 4.0)
    context = LambdaContext(function_name="sweeper", timeout_seconds=3)
    started = time.monotonic()

    summary = sweeper_function.lambda_handler(load_event("sweeper_scheduled.json"), context)

    assert time.monotonic() - started < 3
    assert context.get_remaining_time_in_millis() > 0
    assert summary["sweeps"] >= 2  # every 0.1 s; the first (cold: boto3 import) may be slow on a busy machine
    [job] = chats.jobs()
    assert job["status"] == "enqueued" and queue.job_ids(chats.tenant) == [job["id"]]
    assert {
        MetricName.SWEEP_DURATION.value,
        MetricName.BATCHES_CREATED.value,
        MetricName.BUBBLES_PER_BATCH.value,
        MetricName.JOBS_ENQUEUED.value,
        MetricName.DEBOUNCE_DELAY.value,
    } <= emitted_metrics(capsys.readouterr().out)


def test_the_handler_refuses_an_event_that_is_not_a_schedule(sweeper_function):
    with pytest.raises(Exception, match="detail"):
        sweeper_function.lambda_handler({"version": "0", "id": "x"}, LambdaContext(timeout_seconds=1))


def test_the_handler_gives_the_sweep_a_second_connection_for_its_outbox(sweeper_function, monkeypatch):
    # A busy tick sends its first jobs on this connection while it makes the rest on the other (services/sweep.py)
    from chatbatch.db import Database
    from chatbatch.services.sweep import LoopSummary

    seen = {}

    def run_sweeps(db, queue, policy, **kwargs):
        seen.update(db=db, **kwargs)
        return LoopSummary()

    monkeypatch.setattr(sweeper_function, "run_sweeps", run_sweeps)
    sweeper_function.lambda_handler(load_event("sweeper_scheduled.json"), LambdaContext(timeout_seconds=3))

    assert isinstance(seen["outbox_db"], Database) and seen["outbox_db"] is not seen["db"]
