"""Concurrent sweeps, crashes around the SQS send, and stuck jobs: every bubble in exactly one job, every job
sent once (unless deliberately re-sent)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.services.sweep import sweep


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
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def sweeper() -> None:
        db = Database(connect_params_from_settings(settings))
        queue_adapter = SqsJobQueue.from_settings(settings)
        try:
            start.wait()
            for _ in range(3):
                sweep(db, queue_adapter, settings)
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    jobs = chats.jobs()
    assert sorted(j["chat_jid"] for j in jobs) == sorted(bursts)  # one job per chat, none for the typist
    assert {j["chat_jid"]: j["batched_msg_ids"] for j in jobs} == bursts  # whole bursts, in arrival order
    every_message = [m for j in jobs for m in j["batched_msg_ids"]]
    assert len(every_message) == len(set(every_message))
    assert chats.batch_ids(typing) == [None, None]
    assert {j["status"] for j in jobs} == {"enqueued"}
    sent = Counter(job_id for job_id in queue.job_ids(chats.session_tok) if job_id in {j["id"] for j in jobs})
    assert sorted(sent) == sorted(j["id"] for j in jobs) and set(sent.values()) == {1}


@pytest.mark.parametrize("crashing_queue", [CrashBeforeSend, CrashAfterSend])
def test_a_crash_around_the_send_loses_nothing_and_sends_nothing_twice(
    db, settings, chats, queue, sqs_queue, crashing_queue
):
    ids = chats.bubbles(50.0, 40.0)
    adapter = crashing_queue(sqs_queue) if crashing_queue is CrashAfterSend else crashing_queue()

    with pytest.raises(Crash):
        sweep(db, adapter, settings)
    [job] = chats.jobs()
    assert (job["status"], job["batched_msg_ids"], job["send_count"]) == ("pending", ids, 0)  # committed, unsent

    sweep(db, sqs_queue, settings)  # the next sweep: same deduplication id, so SQS keeps one copy

    [job] = chats.jobs()
    assert (job["status"], job["send_count"]) == ("enqueued", 1)
    assert queue.job_ids(chats.session_tok) == [job["id"]]


def test_a_job_stuck_in_flight_is_sent_again_a_bounded_number_of_times(db, make_settings, chats, queue, sqs_queue, pg):
    settings = make_settings(job_stuck_after_seconds=600, job_max_sends=2)
    chats.bubbles(50.0)
    sweep(db, sqs_queue, settings)
    [job] = chats.jobs()

    def worker_took_it_and_vanished(minutes_ago: int) -> None:
        with pg.cursor() as cur:
            cur.execute(
                "UPDATE ai_jobs SET status = 'generating', "
                "started_at = now() - make_interval(mins => %s), "
                "enqueued_at = now() - make_interval(mins => %s), "
                "updated_at = now() - make_interval(mins => %s) WHERE id = %s",
                (minutes_ago, minutes_ago, minutes_ago, job["id"]),
            )

    worker_took_it_and_vanished(5)  # in flight for less than the threshold: left alone
    sweep(db, sqs_queue, settings)
    assert chats.jobs()[0]["send_count"] == 1

    worker_took_it_and_vanished(11)  # stuck: sent again, with the next generation
    sweep(db, sqs_queue, settings)
    again = chats.jobs()[0]
    assert (again["status"], again["send_count"]) == ("generating", 2)
    dedup = sorted(m["Attributes"]["MessageDeduplicationId"] for m in queue.receive_all(chats.session_tok))
    assert dedup == [f"job-{job['id']}-0", f"job-{job['id']}-1"]

    worker_took_it_and_vanished(11)  # stuck after its last allowed send: given up, visibly
    sweep(db, sqs_queue, settings)
    with pg.cursor() as cur:
        cur.execute("SELECT status, send_count, error FROM ai_jobs WHERE id = %s", (job["id"],))
        status, sends, error = cur.fetchone()
    assert (status, sends) == ("failed", 2) and "after 2 sends" in error
    assert queue.receive_all(chats.session_tok) == []
