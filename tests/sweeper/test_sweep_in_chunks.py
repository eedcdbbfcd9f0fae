"""A busy tick with an outbox connection: the jobs are made in chunks, and the outbox sends each chunk as soon as it
is committed, while the next is made (services/sweep.py). Nothing lost, nothing sent twice, a chat's jobs in order."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter

import pytest
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.services.sweep import SweepPolicy, make_first_jobs, make_jobs_of, sweep
from chatbatch.store import ai_jobs

from tests.support.concurrency import run_together
from tests.sweeper.test_sweep_failures import Crash, CrashBeforeSend


def chunked(settings, jobs_per_chunk: int) -> SweepPolicy:
    return dataclasses.replace(SweepPolicy.from_settings(settings), make_chunk_jobs=jobs_per_chunk)


@pytest.fixture
def outbox_db(settings):
    database = Database(connect_params_from_settings(settings))
    yield database
    database.close()


def jid(n: int) -> str:
    return f"62812{n:07d}@s.whatsapp.net"


def test_jobs_made_in_chunks_are_each_made_once_sent_once_and_a_chats_jobs_go_out_in_order(
    db, outbox_db, settings, chats, queue, sqs_queue
):
    # Given a job committed but never sent (a crash before the send) for chat 0, which has a new burst since,
    older = chats.bubbles(200.0, 190.0, chat_jid=jid(0))
    with pytest.raises(Crash):
        sweep(db, CrashBeforeSend(), SweepPolicy.from_settings(settings))
    chats.time_passes(100)
    # and 22 more chats with a burst each, and a contact still typing
    bursts = {jid(n): chats.bubbles(*[40.0 + b for b in range(1 + n % 3)], chat_jid=jid(n)) for n in range(23)}
    typing = chats.bubbles(0.5, chat_jid=jid(99))

    # When one sweep makes them four at a time, its outbox sending alongside
    result = sweep(db, sqs_queue, chunked(settings, 4), outbox_db=outbox_db)

    # Then each burst is one job with its bubbles in arrival order, and no bubble is in two jobs
    jobs = chats.jobs()
    new = [j for j in jobs if j["batched_msg_ids"] != older]
    assert {j["chat_jid"]: j["batched_msg_ids"] for j in new} == bursts
    assert len(new) == 23 and {job.id for job in result.created} >= {j["id"] for j in new}
    every_bubble = [m for j in jobs for m in j["batched_msg_ids"]]
    assert len(every_bubble) == len(set(every_bubble)) and chats.batch_ids(typing) == [None]
    # and every job, the older one included, was sent exactly once and recorded
    assert {j["status"] for j in jobs} == {"enqueued"} and {j["send_count"] for j in jobs} == {1}
    received = queue.job_ids(chats.tenant)
    assert sorted(received) == sorted(j["id"] for j in jobs) and len(received) == len(set(received))
    # and chat 0's older job reached its FIFO group before its new one
    assert [i for i in received if i in {j["id"] for j in jobs if j["chat_jid"] == jid(0)}] == sorted(
        j["id"] for j in jobs if j["chat_jid"] == jid(0)
    )


class RecordingQueue:
    def __init__(self) -> None:
        self.messages = []
        self.first_send = threading.Event()

    def send(self, messages):
        from chatbatch.adapters.queue import SendOutcome

        self.messages += messages
        self.first_send.set()
        return SendOutcome(sent=[m.job_id for m in messages])


def test_the_outbox_sends_the_first_chunk_while_the_next_is_still_being_made(
    db, outbox_db, settings, chats, monkeypatch
):
    for n in range(9):
        chats.bubbles(40.0, chat_jid=jid(n))
    queue, events = RecordingQueue(), []
    insert_batches = ai_jobs.insert_batches

    def insert_after_the_first_send(cur, batches):
        if events:  # every chunk after the first waits until the outbox has sent something (or 10 s)
            events.append("sent before this chunk" if queue.first_send.wait(10) else "nothing sent yet")
        events.append(f"chunk of {len(batches)}")
        return insert_batches(cur, batches)

    monkeypatch.setattr(ai_jobs, "insert_batches", insert_after_the_first_send)

    sweep(db, queue, chunked(settings, 4), outbox_db=outbox_db)

    assert events[:3] == ["chunk of 4", "sent before this chunk", "chunk of 4"], events
    assert sorted(m.job_id for m in queue.messages if m.tenant == chats.tenant) == sorted(j["id"] for j in chats.jobs())


def test_when_making_a_later_chunk_fails_the_committed_chunks_are_sent_and_the_next_tick_makes_the_rest(
    db, outbox_db, settings, chats, queue, sqs_queue, monkeypatch
):
    bursts = {jid(n): chats.bubbles(40.0, 39.0, chat_jid=jid(n)) for n in range(10)}
    insert_batches, calls = ai_jobs.insert_batches, []

    def fail_the_second_chunk(cur, batches):
        calls.append(len(batches))
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return insert_batches(cur, batches)

    monkeypatch.setattr(ai_jobs, "insert_batches", fail_the_second_chunk)
    with pytest.raises(RuntimeError):
        sweep(db, sqs_queue, chunked(settings, 4), outbox_db=outbox_db)

    first = chats.jobs()
    assert len(first) == 4 and {(j["status"], j["send_count"]) for j in first} == {("enqueued", 1)}
    monkeypatch.setattr(ai_jobs, "insert_batches", insert_batches)
    sweep(db, sqs_queue, chunked(settings, 4), outbox_db=outbox_db)
    jobs = chats.jobs()
    assert {j["chat_jid"]: j["batched_msg_ids"] for j in jobs} == bursts
    assert {(j["status"], j["send_count"]) for j in jobs} == {("enqueued", 1)}
    assert Counter(queue.job_ids(chats.tenant)) == Counter({j["id"]: 1 for j in jobs})


def test_concurrent_sweeps_making_in_chunks_put_every_bubble_in_one_job_and_send_each_job_once(settings, chats, queue):
    bursts = {jid(n): chats.bubbles(*[40.0 + b for b in range(1 + n % 4)], chat_jid=jid(n)) for n in range(90)}

    def sweeper(start: threading.Barrier) -> None:
        db, outbox_db = (Database(connect_params_from_settings(settings)) for _ in range(2))
        try:
            start.wait()
            for _ in range(3):
                sweep(db, SqsJobQueue.from_settings(settings), chunked(settings, 5), outbox_db=outbox_db)
        finally:
            db.close()
            outbox_db.close()

    errors = run_together(sweeper, 3)

    assert errors == []
    jobs = chats.jobs()
    assert {j["chat_jid"]: j["batched_msg_ids"] for j in jobs} == bursts and len(jobs) == len(bursts)
    assert {(j["status"], j["send_count"]) for j in jobs} == {("enqueued", 1)}
    assert Counter(queue.job_ids(chats.tenant)) == Counter({j["id"]: 1 for j in jobs})


def test_a_chat_found_ready_for_a_later_chunk_is_rechecked_under_its_lock(db, settings, chats):
    # Given four ready chats (and nothing else ready: whatever earlier tests left is swept first), the first two
    # made into jobs, the other two only found ready
    sweep(db, RecordingQueue(), SweepPolicy.from_settings(settings))
    for n in range(4):
        chats.bubbles(50.0 - n, chat_jid=jid(n))
    policy = dataclasses.replace(SweepPolicy.from_settings(settings), max_jobs=10_000)
    rule = policy.rule
    first = make_first_jobs(db, RecordingQueue(), policy, chunk=2)
    assert [job.batch.chat_jid for job in first.created if job.batch.tenant == chats.tenant] == [jid(0), jid(1)]
    assert first.outbox is None  # chats were ready: the outbox runs in a transaction of its own
    later = first.later
    assert later == [(chats.tenant, jid(2)), (chats.tenant, jid(3))]
    # When, before their chunk is made, the contact of chat 2 writes again (its window restarts)
    typed = chats.bubbles(0.1, chat_jid=jid(2))

    made = make_jobs_of(db, rule, later)

    # Then only chat 3 becomes a job; chat 2's bubbles all wait for its new window
    assert [job.batch.chat_jid for job in made] == [jid(3)]
    assert {j["chat_jid"] for j in chats.jobs()} == {jid(0), jid(1), jid(3)}
    assert chats.batch_ids(typed) == [None]
