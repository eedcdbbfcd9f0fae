"""``make dev``'s sweeper service: the function invoked back to back until the stack stops."""

from __future__ import annotations

import threading
import time

from chatbatch_local.sweeper import sweeper_loop


def test_the_dev_sweeper_makes_and_sends_jobs_and_stops_promptly(
    database_url, queue, chats, monkeypatch, reset_settings
):
    monkeypatch.setenv("QUEUE_URL", queue.url)
    monkeypatch.setenv("SQS_ENDPOINT_URL", queue.endpoint_url)
    monkeypatch.setenv("SWEEP_INTERVAL_SECONDS", "0.1")
    stop = threading.Event()
    service = threading.Thread(target=sweeper_loop, args=(stop,))
    service.start()
    try:
        chats.bubbles(5.0, 4.0)
        deadline = time.monotonic() + 10
        while not queue.job_ids(chats.tenant) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        stopped_at = time.monotonic()
        service.join(5)

    assert not service.is_alive() and time.monotonic() - stopped_at < 2
    [job] = chats.jobs()
    assert job["status"] == "enqueued" and job["send_count"] == 1
