"""What the sweeper writes at INFO, as deployed: one line per tick that made or sent jobs, with its counts; a line
per job only at DEBUG (a busy tick makes thousands) or when it is worth reading (a resend)."""

from __future__ import annotations

import json

from chatbatch.db import Database, connect_params_from_settings

from tests.support.logs import captured_logs
from tests.sweeper.test_tick_failures import Clock, one_invocation


def test_a_tick_that_makes_jobs_logs_one_line_with_its_counts_not_one_per_job(make_settings, chats, queue):
    # Given five chats whose bursts are ready
    settings = make_settings(debounce_seconds=1, sweep_interval_seconds=1, sweep_safety_margin_seconds=5)
    for n in range(5):
        chats.bubbles(5.0, 4.0, chat_jid=f"62812{n:07d}@s.whatsapp.net")
    db = Database(connect_params_from_settings(settings))

    # When an invocation of the sweeper runs its loop at INFO
    with captured_logs("INFO") as logs:
        summary = one_invocation(db, settings, Clock())
    db.close()

    # Then the five jobs went out (with any other test's chats that were ready in this shared database), and the
    # log has a line for the tick that made them, counting them, not a line per job
    assert len(queue.job_ids(chats.tenant)) == 5
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]
    assert {line["message"] for line in lines} == {"sweep made and sent jobs"}
    assert len(lines) == 1 and lines[0]["jobs_created"] >= 5
    assert lines[0]["jobs_enqueued"] == summary.jobs_enqueued and lines[0]["resends"] == 0
