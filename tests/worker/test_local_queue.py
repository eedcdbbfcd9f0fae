"""The worker behind a real (moto) SQS FIFO queue with its dead-letter queue, as `make dev` runs it: the local
poller hands the function real SQS records; a failed attempt's message comes back after a short backoff (the
function hands it back with ChangeMessageVisibility), not after the 540 s visibility timeout; a job that keeps
failing ends 'failed' and its message in the DLQ; a batch's records that no longer fit the invocation go back."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from chatbatch import settings
from chatbatch.domain import sending
from chatbatch_local.lambda_runtime import LambdaContext
from chatbatch_local.sqs import MAX_RECEIVE_COUNT, LocalQueues, create_queues, start_local_sqs
from chatbatch_local.worker_poller import lambda_event, poll_once

from tests.support.worker import CONTACT, burst_job, history, job


@pytest.fixture(scope="module")
def sqs_server():
    local = start_local_sqs()
    yield local
    local.stop()


@pytest.fixture
def queues(sqs_server):
    """A fresh queue pair per test, as template.yaml declares them (FIFO + FIFO DLQ, maxReceiveCount)."""
    queue_url, dlq_url = create_queues(
        sqs_server.endpoint_url,
        name=f"jobs-{uuid.uuid4().hex[:8]}",
        visibility_timeout=540,  # template.yaml's
    )
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
def queue_worker(worker, queues, monkeypatch):
    """The worker function as in AWS: it hands failed messages back to its queue (ChangeMessageVisibility)."""
    monkeypatch.setenv("WORKER_MAX_RECEIVES", str(MAX_RECEIVE_COUNT))  # as template.yaml's maxReceiveCount
    monkeypatch.setenv("QUEUE_URL", queues.queue_url)
    monkeypatch.setenv("SQS_ENDPOINT_URL", queues.endpoint_url)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "local")
    settings.clear_settings()
    worker._ports.cache_clear()
    return worker


def enqueue(sqs, queue_url: str, job_id: int, tenant: str) -> None:
    """What the sweeper sends (docs/contracts.md)."""
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps({"job_id": job_id, "session_tok": tenant, "chat_jid": CONTACT}),
        MessageGroupId=f"{tenant}-chat",
        MessageDeduplicationId=f"job-{job_id}-0",
    )


def test_a_job_from_the_queue_is_answered_and_its_message_deleted(
    queue_worker, sqs, queues, api_function, database_url, pg, tenant, gateway_server
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo", "Saya mau", "pesan produk"])
    enqueue(sqs, queues.queue_url, job_id, tenant)

    assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler) == (1, 0)

    assert job(pg, job_id)["status"] == "done"
    assert [h[0] for h in history(pg, tenant)] == ["contact"] * 3 + ["ai"]
    assert sqs.receive_message(QueueUrl=queues.queue_url, WaitTimeSeconds=0).get("Messages") is None


def test_a_job_that_keeps_failing_is_marked_failed_and_its_message_lands_in_the_dlq(
    queue_worker, sqs, queues, api_function, database_url, pg, tenant, llm_server, gateway_server, monkeypatch
):
    monkeypatch.setattr(sending, "RETRY_BASE_SECONDS", 0)  # the worker hands each failure back at once
    llm_server.script = [401] * 100
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    enqueue(sqs, queues.queue_url, job_id, tenant)

    for receive in range(1, MAX_RECEIVE_COUNT + 1):
        assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler) == (0, 1)
        assert job(pg, job_id)["status"] == ("failed" if receive == MAX_RECEIVE_COUNT else "generating")

    assert "gave up after 5 receives" in job(pg, job_id)["error"]
    assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler, wait_seconds=0) == (0, 0)
    [dead] = sqs.receive_message(QueueUrl=queues.dlq_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(dead["Body"])["job_id"] == job_id
    assert gateway_server.requests == []


def receive_within(sqs, queue_url: str, seconds: float) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=queue_url, WaitTimeSeconds=1, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if messages:
            return messages
    return []


def test_a_failed_attempt_comes_back_after_a_short_backoff_not_the_visibility_timeout(
    queue_worker, sqs, queues, api_function, database_url, pg, tenant, gateway_server, monkeypatch
):
    monkeypatch.setattr(sending, "RETRY_BASE_SECONDS", 2)
    gateway_server.script = [503]
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    enqueue(sqs, queues.queue_url, job_id, tenant)

    assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler) == (0, 1)
    handed_back_at = time.monotonic()

    assert sqs.receive_message(QueueUrl=queues.queue_url, WaitTimeSeconds=0).get("Messages") is None  # backing off
    [again] = receive_within(sqs, queues.queue_url, 20)  # ... for 2 s, where the queue alone would take 540 s
    assert time.monotonic() - handed_back_at < 20 and again["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.change_message_visibility(QueueUrl=queues.queue_url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
    assert poll_once(sqs, queues.queue_url, queue_worker.lambda_handler) == (1, 0)
    assert job(pg, job_id)["status"] == "done" and len(gateway_server.requests) == 2


def test_records_that_no_longer_fit_the_invocation_go_back_at_once_unstarted(
    queue_worker, sqs, queues, api_function, database_url, pg, tenant, gateway_server
):
    first = burst_job(api_function, database_url, tenant, ["Halo"])
    other = "6289876543210@s.whatsapp.net"
    second = burst_job(api_function, database_url, tenant, ["Permisi"], chat=other)
    for job_id, group in ((first, "a"), (second, "b")):
        sqs.send_message(
            QueueUrl=queues.queue_url,
            MessageBody=json.dumps({"job_id": job_id}),
            MessageGroupId=f"{tenant}-{group}",
            MessageDeduplicationId=f"job-{job_id}-0",
        )
    messages = receive_within(sqs, queues.queue_url, 10)
    while len(messages) < 2:
        messages += receive_within(sqs, queues.queue_url, 10)
    event = lambda_event(messages, queue_arn="arn:aws:sqs:us-east-1:000000000000:jobs.fifo", region="us-east-1")

    # an invocation with 60 s left: the first job is started, the second's worst case (81 s) no longer fits
    response = queue_worker.lambda_handler(event, LambdaContext(function_name="worker", timeout_seconds=60))

    [handed_back] = response["batchItemFailures"]
    assert job(pg, first)["status"] == "done" and job(pg, second)["status"] == "pending"  # never started
    [again] = receive_within(sqs, queues.queue_url, 5)  # visible again at once
    assert again["MessageId"] == handed_back["itemIdentifier"] and json.loads(again["Body"])["job_id"] == second
