"""What the sweeper writes at INFO, as deployed: one line per tick that made or sent jobs, with its counts; a line
per job only at DEBUG (a busy tick makes thousands) or when it is worth reading (a resend)."""

from __future__ import annotations

import io
import json

import pytest
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.observability import logger
from chatbatch.services.sweep import SweepPolicy, run_sweeps

from tests.sweeper.test_tick_failures import Clock, Metrics


@pytest.fixture
def info_logs():
    previous_level = logger.log_level
    logger.setLevel("INFO")
    stream = io.StringIO()
    previous_stream = logger.registered_handler.setStream(stream)
    yield stream
    logger.registered_handler.setStream(previous_stream)
    logger.setLevel(previous_level)


def test_a_tick_that_makes_jobs_logs_one_line_with_its_counts_not_one_per_job(make_settings, chats, queue, info_logs):
    # Given five chats whose bursts are ready
    settings = make_settings(debounce_seconds=1, sweep_interval_seconds=1, sweep_safety_margin_seconds=5)
    for n in range(5):
        chats.bubbles(5.0, 4.0, chat_jid=f"62812{n:07d}@s.whatsapp.net")
    db = Database(connect_params_from_settings(settings))
    clock = Clock()

    # When an invocation of the sweeper runs its loop at INFO
    summary = run_sweeps(
        db,
        SqsJobQueue.from_settings(settings),
        SweepPolicy.from_settings(settings),
        remaining_ms=clock.remaining_ms,
        metrics=Metrics(),
        clock=clock.monotonic,
        wait=clock.wait,
    )
    db.close()

    # Then the five jobs went out (with any other test's chats that were ready in this shared database), and the
    # log has a line for the tick that made them, counting them, not a line per job
    assert len(queue.job_ids(chats.tenant)) == 5
    lines = [json.loads(line) for line in info_logs.getvalue().splitlines() if line.strip()]
    assert {line["message"] for line in lines} == {"sweep made and sent jobs"}
    assert len(lines) == 1 and lines[0]["jobs_created"] >= 5
    assert lines[0]["jobs_enqueued"] == summary.jobs_enqueued and lines[0]["resends"] == 0
