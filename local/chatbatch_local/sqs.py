"""A local SQS (moto server on a free loopback port) with the stack's FIFO queue and its FIFO dead-letter queue."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

from chatbatch_local.postgres import free_port

MAX_RECEIVE_COUNT = 5


@dataclass
class LocalQueues:
    endpoint_url: str
    queue_url: str
    dlq_url: str
    server: object | None = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def create_queues(
    endpoint_url: str, *, name: str = "chatbatch-jobs", visibility_timeout: int = 30, region: str = "us-east-1"
) -> tuple[str, str]:
    """The FIFO job queue and its FIFO dead-letter queue (as template.yaml declares them); their URLs."""
    import boto3

    sqs = boto3.client(
        "sqs", endpoint_url=endpoint_url, region_name=region, aws_access_key_id="local", aws_secret_access_key="local"
    )
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=f"{name}.fifo",
        Attributes={
            "FifoQueue": "true",
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def start_local_sqs(*, visibility_timeout: int = 30) -> LocalQueues:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per SQS call
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps one backend per process, kept after a server stops: servers started one after another in one
    # process (the test suite, a bench) see each other's queues, even on a port used before, so each server's
    # queues get a name of their own.
    name = f"chatbatch-jobs-{uuid.uuid4().hex[:12]}"
    queue_url, dlq_url = create_queues(endpoint, name=name, visibility_timeout=visibility_timeout)
    return LocalQueues(endpoint, queue_url, dlq_url, server)
