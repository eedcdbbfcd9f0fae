"""The debounce sweep against a real Postgres and a moto SQS FIFO queue.

Time is the database's: instead of sleeping, tests age the bubbles (``chats.time_passes``)."""

from __future__ import annotations

import json

from chatbatch.domain.job_message import chat_group_id
from chatbatch.domain.messages import parse_webhook
from chatbatch.services.ingest import ingest_message
from chatbatch.services.sweep import SweepPolicy, make_first_jobs, send_due_jobs, sweep

from tests.support.queue import FakeJobQueue
from tests.sweeper.conftest import BUSINESS, CONTACT

OTHER = "6289876543210@s.whatsapp.net"


def test_a_burst_becomes_one_job_with_its_bubbles_in_arrival_order(db, sqs_queue, settings, chats, queue):
    ids = chats.bubbles(50.0, 40.0, 35.0)

    result = sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    [job] = chats.jobs()
    assert [j.id for j in result.created] == [job["id"]]
    assert (job["status"], job["is_batch"], job["batch_size"], job["batched_msg_ids"]) == ("enqueued", True, 3, ids)
    assert (job["first_message_at"], job["last_message_at"]) == chats.arrival_range(ids)
    assert chats.batch_ids(ids) == [job["id"]] * 3
    assert queue.job_ids(chats.tenant) == [job["id"]]


def test_the_window_restarts_with_each_bubble(db, sqs_queue, settings, chats):
    first = chats.bubbles(25.0)  # window: 30 s
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    assert chats.jobs() == []

    second = chats.bubbles(0)  # the contact types again before the window closed
    chats.time_passes(10.0)  # the first bubble is now 35 s old, the second 10 s
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    assert chats.jobs() == []

    chats.time_passes(20.0)  # 30 s of quiet since the second bubble
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    [job] = chats.jobs()
    assert job["batched_msg_ids"] == first + second


def test_a_pause_longer_than_the_window_splits_the_chat_into_two_jobs(db, sqs_queue, settings, chats):
    before = chats.bubbles(100.0, 90.0)
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    after = chats.bubbles(40.0)  # arrived after a 50 s pause, already quiet for 40 s
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    assert [j["batched_msg_ids"] for j in chats.jobs()] == [before, after]


def test_the_max_wait_forces_a_job_while_the_contact_keeps_typing(db, sqs_queue, settings, chats):
    ids = chats.bubbles(310.0, 200.0, 100.0, 5.0)  # max wait: 300 s

    [created] = sweep(db, sqs_queue, SweepPolicy.from_settings(settings)).created

    assert created.batch.reason.value == "max_wait"
    assert chats.jobs()[0]["batched_msg_ids"] == ids


def test_the_batch_cap_forces_a_job_and_the_rest_waits_for_the_next(db, sqs_queue, make_settings, chats):
    settings = make_settings(max_batch_messages=3)
    ids = chats.bubbles(10.0, 9.0, 8.0, 7.0, 6.0)

    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    [job] = chats.jobs()
    assert job["batched_msg_ids"] == ids[:3]
    assert chats.batch_ids(ids[3:]) == [None, None]  # two pending, newest 6 s old: still waiting

    chats.time_passes(30.0)
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    assert [j["batched_msg_ids"] for j in chats.jobs()] == [ids[:3], ids[3:]]


def test_from_me_and_unanswered_group_messages_never_make_jobs(db, sqs_queue, settings, chats, tenant):
    # Through the real ingest path: it decides needs_reply (from_me: a human or the bot; groups: off by default).
    for n, doc in enumerate(
        [
            {"from": BUSINESS, "to": CONTACT, "from_me": True},
            {"from": "120363000000000000@g.us", "to": BUSINESS, "participant": CONTACT},
        ]
    ):
        ingest_message(
            db,
            parse_webhook({"session_token": tenant, "message_id": f"x{n}", "body": "hi", **doc}),
            reply_groups=False,
        )
    chats.time_passes(600.0)

    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    assert chats.jobs() == []


def test_chats_are_batched_separately(db, sqs_queue, settings, chats):
    a = chats.bubbles(50.0, 40.0, chat_jid=CONTACT)
    b = chats.bubbles(60.0, chat_jid=OTHER)

    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    assert sorted(j["batched_msg_ids"] for j in chats.jobs()) == sorted([a, b])


def test_sqs_group_and_deduplication_ids_follow_the_chat_and_the_job(db, sqs_queue, settings, chats, queue, tenant):
    chats.bubbles(50.0, chat_jid=CONTACT)
    chats.bubbles(50.0, chat_jid=OTHER)
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
    chats.bubbles(40.0, chat_jid=CONTACT)
    sweep(db, sqs_queue, SweepPolicy.from_settings(settings))

    jobs = {j["id"]: j for j in chats.jobs()}
    received = queue.receive_all(chats.tenant)
    assert sorted(json.loads(m["Body"])["job_id"] for m in received) == sorted(jobs)
    for message in received:
        body = json.loads(message["Body"])
        job = jobs[body["job_id"]]
        assert body == {"job_id": job["id"], "session_tok": tenant, "chat_jid": job["chat_jid"]}
        assert message["Attributes"]["MessageGroupId"] == chat_group_id(tenant, job["chat_jid"])
        assert message["Attributes"]["MessageDeduplicationId"] == f"job-{job['id']}-0"
    groups = [m["Attributes"]["MessageGroupId"] for m in received]
    assert len(set(groups)) == 2  # the CONTACT chat's two jobs share one group


def test_a_job_the_queue_refused_stays_pending_and_a_later_sweep_sends_it(db, settings, chats):
    chats.bubbles(50.0, chat_jid=CONTACT)
    chats.bubbles(50.0, chat_jid=OTHER)
    policy = SweepPolicy.from_settings(settings)
    accepted, refused = make_first_jobs(db, FakeJobQueue(), policy, chunk=policy.max_jobs).created

    outbox = send_due_jobs(db, FakeJobQueue(refuse={refused.id}), policy)

    assert accepted.id in [j.id for j in outbox.sent] and refused.id in outbox.unsent
    status = {j["id"]: (j["status"], j["enqueued_at"] is not None, j["send_count"]) for j in chats.jobs()}
    assert status == {accepted.id: ("enqueued", True, 1), refused.id: ("pending", False, 0)}

    queue = FakeJobQueue()
    sweep(db, queue, policy)
    assert [m.job_id for m in queue.messages] == [refused.id]
    assert {j["status"] for j in chats.jobs()} == {"enqueued"}
