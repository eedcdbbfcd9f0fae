"""Concurrent sweeps, crashes around the SQS send, and stuck jobs: every bubble in exactly one job, every job
sent once (unless deliberately re-sent)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.services.sweep import SweepPolicy, sweep

from tests.support.concurrency import run_together


class Crash(Exception):
    """The process dying: nothing after it runs."""


class CrashBeforeSend:
    def send(self, messages):
        raise Crash("killed before the queue was called")


class CrashAfterSend:
    """SQS accepted the messages, then the process died before the database recorded it."""

    def __init__(self, real: SqsJobQueue) -> None:
        self.real = real

    def send(self, messages):
        self.real.send(messages)
        raise Crash("killed after SQS accepted the batch")


def test_concurrent_sweeps_put_every_bubble_in_exactly_one_job_and_never_split_a_burst(settings, chats, queue):
    rng = random.Random(3)
    bursts = {
        f"62811{n:07d}@s.whatsapp.net": chats.bubbles(
            *[rng.uniform(31, 60) for _ in range(rng.randint(1, 6))], chat_jid=f"62811{n:07d}@s.whatsapp.net"
        )
        for n in range(120)
    }
    typing = chats.bubbles(100.0, 0.5, chat_jid="62899@s.whatsapp.net")  # still typing: no job yet

    def sweeper(start: threading.Barrier) -> None:
        db = Database(connect_params_from_settings(settings))
        queue_adapter = SqsJobQueue.from_settings(settings)
        try:
            start.wait()
            for _ in range(3):
                sweep(db, queue_adapter, SweepPolicy.from_settings(settings))
        finally:
            db.close()

    errors = run_together(sweeper, 4)

    assert errors == []
    jobs = chats.jobs()
    assert sorted(j["chat_jid"] for j in jobs) == sorted(bursts)  # one job per chat, none for the typist
    assert {j["chat_jid"]: j["batched_msg_ids"] for j in jobs} == bursts  # whole bursts, in arrival order
    every_message = [m for j in jobs for m in j["batched_msg_ids"]]
    assert len(every_message) == len(set(every_message))
    assert chats.batch_ids(typing) == [None, None]
    assert {j["status"] for j in jobs} == {"enqueued"}
    sent = Counter(job_id for job_id in queue.job_ids(chats.tenant) if job_id in {j["id"] for j in jobs})
    assert sorted(sent) == sorted(j["id"] for j in jobs) and set(sent.values()) == {1}


@pytest.mark.parametrize("crashing_queue", [CrashBeforeSend, CrashAfterSend])
def test_a_crash_around_the_send_loses_nothing_and_sends_nothing_twice(
    db, settings, chats, queue, sqs_queue, crashing_queue
):
    ids = chats.bubbles(50.0, 40.0)
    adapter = crashing_queue(sqs_queue) if crashing_queue is CrashAfterSend else crashing_queue()

    with pytest.raises(Crash):
        sweep(db, adapter, SweepPolicy.from_settings(settings))
    [job] = chats.jobs()
    assert (job["status"], job["batched_msg_ids"], job["send_count"]) == ("pending", ids, 0)  # committed, unsent

    sweep(
        db, sqs_queue, SweepPolicy.from_settings(settings)
    )  # the next sweep: same deduplication id, so SQS keeps one copy

    [job] = chats.jobs()
    assert (job["status"], job["send_count"]) == ("enqueued", 1)
    assert queue.job_ids(chats.tenant) == [job["id"]]


def test_a_job_stuck_in_flight_is_sent_again_a_bounded_number_of_times(db, make_settings, chats, queue, sqs_queue, pg):
    settings = make_settings(job_stuck_after_seconds=600, job_max_sends=2)
    chats.bubbles(50.0)
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    [job] = chats.jobs()

    def worker_took_it_and_vanished(minutes_ago: int) -> None:
        with pg.cursor() as cur:
            cur.execute(
                "UPDATE ai_jobs SET status = 'generating', lease_until = now() - make_interval(mins => %s) + "
                "interval '2 minutes', started_at = now() - make_interval(mins => %s), "
                "enqueued_at = now() - make_interval(mins => %s), "
                "updated_at = now() - make_interval(mins => %s) WHERE id = %s",
                (minutes_ago, minutes_ago, minutes_ago, minutes_ago, job["id"]),
            )

    worker_took_it_and_vanished(5)  # in flight for less than the threshold: left alone
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    assert chats.jobs()[0]["send_count"] == 1

    worker_took_it_and_vanished(11)  # stuck: sent again, with the next generation
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    again = chats.jobs()[0]
    assert (again["status"], again["send_count"]) == ("generating", 2)
    dedup = sorted(m["Attributes"]["MessageDeduplicationId"] for m in queue.receive_all(chats.tenant))
    assert dedup == [f"job-{job['id']}-0", f"job-{job['id']}-1"]

    worker_took_it_and_vanished(11)  # stuck after its last allowed send: no more sends, and NOT failed - a
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))  # message of it may still be waiting behind a busy worker
    assert (chats.jobs()[0]["status"], chats.jobs()[0]["send_count"]) == ("generating", 2)
    assert queue.receive_all(chats.tenant) == []


def job_row(pg, job_id: int) -> tuple:
    with pg.cursor() as cur:
        cur.execute("SELECT status, send_count, error FROM ai_jobs WHERE id = %s", (job_id,))
        return cur.fetchone()


def age_job(pg, job_id: int, *, status: str, sent_ago_s: float, lease_left_s: float | None = None) -> None:
    with pg.cursor() as cur:
        cur.execute(
            "UPDATE ai_jobs SET status = %s, enqueued_at = now() - make_interval(secs => %s), started_at = NULL, "
            "updated_at = now() - make_interval(secs => %s), "
            "lease_until = CASE WHEN %s::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => %s) END "
            "WHERE id = %s",
            (status, sent_ago_s, sent_ago_s, lease_left_s, lease_left_s, job_id),
        )


def test_the_stuck_rule_spares_a_job_whose_message_may_still_be_alive(db, make_settings, chats, queue, sqs_queue, pg):
    # Given a short stuck window (as in the chaos runs) and jobs whose messages the queue still holds
    settings = make_settings(job_stuck_after_seconds=20, job_max_sends=1, job_lost_after_seconds=3600)
    chats.bubbles(50.0, chat_jid="6281111111111@s.whatsapp.net")
    chats.bubbles(50.0, chat_jid="6282222222222@s.whatsapp.net")
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    waiting, slow = (job["id"] for job in chats.jobs())
    queue.receive_all(chats.tenant)
    age_job(pg, waiting, status="enqueued", sent_ago_s=300)  # behind a busy worker in its chat's group, 5 min
    age_job(pg, slow, status="generating", sent_ago_s=300, lease_left_s=60)  # a slow worker holds it right now

    # When sweeps run long past the stuck window, its sends used up
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    # Then neither is failed (nor re-sent beyond the cap): their messages are alive; the worker will finish them
    assert job_row(pg, waiting)[:2] == ("enqueued", 1)
    assert job_row(pg, slow)[:2] == ("generating", 1)
    assert queue.receive_all(chats.tenant) == []


def test_a_job_the_queue_can_no_longer_hold_is_failed_with_the_reason(db, make_settings, chats, queue, sqs_queue, pg):
    # Given a job in flight, no worker holding it, last sent longer ago than the queue keeps a message
    settings = make_settings(job_stuck_after_seconds=20, job_max_sends=1, job_lost_after_seconds=3600)
    chats.bubbles(50.0)
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    [job] = chats.jobs()
    queue.receive_all(chats.tenant)
    age_job(pg, job["id"], status="enqueued", sent_ago_s=3601)

    # When the sweep runs
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    # Then it is failed, visibly, and nothing is sent
    status, sends, error = job_row(pg, job["id"])
    assert (status, sends) == ("failed", 1)
    assert error.startswith("lost:") and "3600" in error
    assert queue.receive_all(chats.tenant) == []
