"""The SQS adapter against a real peer (moto server): batches of ten, failures reported and never raised. (Its
SendMessageBatch call on its own, against a peer that checks the signature: test_sqs_batch.py.)"""

from __future__ import annotations

import json

from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.domain.job_message import JobMessage
from chatbatch_local.postgres import free_port


def test_more_than_ten_jobs_go_out_in_several_batches_in_order(queue, tenant):
    adapter = SqsJobQueue(queue.url, region="us-east-1", endpoint_url=queue.endpoint_url)
    messages = [JobMessage(n, tenant, "6281234567890@s.whatsapp.net") for n in range(1, 24)]

    outcome = adapter.send(messages)

    assert outcome.sent == list(range(1, 24)) and outcome.failed == {}
    received = queue.receive_all(tenant)
    assert [json.loads(m["Body"])["job_id"] for m in received] == list(range(1, 24))  # one group: FIFO order


def test_an_unreachable_queue_reports_every_job_as_unsent(tenant):
    closed = f"http://127.0.0.1:{free_port()}"
    adapter = SqsJobQueue(
        f"{closed}/123456789012/nowhere.fifo", region="us-east-1", endpoint_url=closed, timeout_seconds=1
    )

    outcome = adapter.send([JobMessage(n, tenant, "jid") for n in range(1, 13)])

    assert outcome.sent == [] and sorted(outcome.failed) == list(range(1, 13))
    assert outcome.failed[1].startswith(f"SQS unreachable at {closed}/: NewConnectionError")


def test_parallel_lanes_send_every_job_and_keep_each_chats_jobs_in_order(queue, tenant):
    adapter = SqsJobQueue(queue.url, region="us-east-1", endpoint_url=queue.endpoint_url, lanes=4)
    chats = [f"62811{n:07d}@s.whatsapp.net" for n in range(9)]
    messages = [JobMessage(n, tenant, chats[n % len(chats)]) for n in range(1, 46)]  # 5 jobs per chat

    outcome = adapter.send(messages)

    assert sorted(outcome.sent) == list(range(1, 46)) and outcome.failed == {}
    received = [json.loads(m["Body"]) for m in queue.receive_all(tenant)]
    assert sorted(body["job_id"] for body in received) == list(range(1, 46))
    for chat in chats:  # FIFO per group: a chat's jobs arrive in the order they were given
        ids = [body["job_id"] for body in received if body["chat_jid"] == chat]
        assert ids == sorted(ids) and len(ids) == 5
