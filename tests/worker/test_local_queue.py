"""The worker behind a real (moto) SQS FIFO queue with its dead-letter queue, as `make dev` runs it: the local
poller hands the function real SQS records; a job that keeps failing ends 'failed' and its message in the DLQ."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from chatbatch import settings
from chatbatch_local.sqs import MAX_RECEIVE_COUNT, LocalQueues, create_queues, start_local_sqs
from chatbatch_local.worker_poller import poll_once

from tests.support.worker import CONTACT, burst_job, history, job


@pytest.fixture(scope="module")
def sqs_server():
    local = start_local_sqs()
    yield local
    local.stop()


@pytest.fixture
def queues(sqs_server):
    """A fresh queue pair per test, as template.yaml declares them (FIFO + FIFO DLQ, maxReceiveCount)."""
    queue_url, dlq_url = create_queues(sqs_server.endpoint_url, name=f"jobs-{uuid.uuid4().hex[:8]}")
    return LocalQueues(sqs_server.endpoint_url, queue_url, dlq_url)


@pytest.fixture
def sqs(queues):
    return boto3.client(
        "sqs",
        endpoint_url=queues.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture
def queue_worker(worker, monkeypatch):
    monkeypatch.setenv("WORKER_MAX_RECEIVES", str(MAX_RECEIVE_COUNT))  # as template.yaml's maxReceiveCount
    settings.worker_settings.cache_clear()
    return worker


def enqueue(sqs, queue_url: str, job_id: int, session_tok: str) -> None:
    """What the sweeper sends (docs/contracts.md)."""
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps({"job_id": job_id, "session_tok": session_tok, "chat_jid": CONTACT}),
        MessageGroupId=f"{session_tok}-chat",
        MessageDeduplicationId=f"job-{job_id}-0",
    )


def test_a_job_from_the_queue_is_answered_and_its_message_deleted(
    queue_worker, sqs, queues, api_function, database_url, pg, session_tok, gateway_server
):
    job_id = burst_job(api_function, database_url, session_tok, ["Halo", "Saya mau", "pesan produk"])
    enqueue(sqs, queues.queue_url, job_id, session_tok)

    assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler) == (1, 0)

    assert job(pg, job_id)["status"] == "done"
    assert [h[0] for h in history(pg, session_tok)] == ["contact"] * 3 + ["ai"]
    assert sqs.receive_message(QueueUrl=queues.queue_url, WaitTimeSeconds=0).get("Messages") is None


def test_a_job_that_keeps_failing_is_marked_failed_and_its_message_lands_in_the_dlq(
    queue_worker, sqs, queues, api_function, database_url, pg, session_tok, llm_server, gateway_server
):
    llm_server.script = [401] * 100
    job_id = burst_job(api_function, database_url, session_tok, ["Halo"])
    enqueue(sqs, queues.queue_url, job_id, session_tok)

    for receive in range(1, MAX_RECEIVE_COUNT + 1):
        assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler, retry_after=0) == (0, 1)
        assert job(pg, job_id)["status"] == ("failed" if receive == MAX_RECEIVE_COUNT else "generating")

    assert "gave up after 5 receives" in job(pg, job_id)["error"]
    assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler, wait_seconds=0) == (0, 0)
    [dead] = sqs.receive_message(QueueUrl=queues.dlq_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(dead["Body"])["job_id"] == job_id
    assert gateway_server.requests == []
