"""The worker's event source on this machine: long-polls the local SQS FIFO queue and hands the worker function
real SQS event records, as Lambda's SQS integration does (ReportBatchItemFailures).

Succeeded messages are deleted; failed ones are left to the queue, as Lambda does: the worker function itself
hands each one back with ChangeMessageVisibility to come back soon. After the queue's maxReceiveCount the queue
moves the message to the dead-letter queue. It runs in its own process (``python -m chatbatch_local.worker_poller``),
like a Lambda container.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable

from chatbatch_local.lambda_runtime import LambdaContext, load_function
from chatbatch_local.processes import Started, main_until_signal, run_module_until

RETRY_AFTER_SECONDS = 2  # after a hiccup of the local queue itself
MAX_MESSAGES = 1  # the worker's SQS BatchSize in template.yaml
Handler = Callable[[dict, object], dict]


def sqs_client(endpoint_url: str | None = None, region: str | None = None):
    import boto3

    return boto3.client(
        "sqs",
        endpoint_url=endpoint_url or os.environ.get("SQS_ENDPOINT_URL"),
        region_name=region or os.environ.get("AWS_REGION", "us-east-1"),
    )


def lambda_event(messages: list[dict], *, queue_arn: str, region: str) -> dict:
    """An SQS event as Lambda builds it from received messages (attribute names as Lambda spells them)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def poll_once(sqs, queue_url: str, handler: Handler, *, wait_seconds: int = 1) -> tuple[int, int]:
    """Receive one batch, invoke the handler, settle each message; (succeeded, failed)."""
    received = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=MAX_MESSAGES,
        WaitTimeSeconds=wait_seconds,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    messages = received.get("Messages", [])
    if not messages:
        return 0, 0
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    event = lambda_event(messages, queue_arn=queue_arn, region=sqs.meta.region_name)
    try:
        response = handler(event, LambdaContext(function_name="worker", timeout_seconds=90))
        failed_ids = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    except Exception:  # the whole invocation failed: Lambda retries every message of the batch
        traceback.print_exc()
        failed_ids = {m["MessageId"] for m in messages}
    for message in messages:
        if message["MessageId"] not in failed_ids:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages) - len(failed_ids), len(failed_ids)


def poll_until(stop: threading.Event) -> None:
    """Poll the queue (QUEUE_URL / SQS_ENDPOINT_URL from the stack) and invoke the worker until ``stop``."""
    queue_url = os.environ["QUEUE_URL"]
    sqs = sqs_client()
    handler = load_function("worker").lambda_handler
    print(f"worker: polling {queue_url}", flush=True)
    while not stop.is_set():
        try:
            poll_once(sqs, queue_url, handler)
        except Exception:  # a hiccup of the local queue must not end the dev stack's worker
            traceback.print_exc()
            stop.wait(RETRY_AFTER_SECONDS)


def poll_worker_queue(stop: threading.Event, on_start: Started | None = None) -> None:
    """A ``run_dev`` service: the worker's process until ``stop``."""
    run_module_until("chatbatch_local.worker_poller", stop, name="worker", on_start=on_start)


if __name__ == "__main__":
    sys.exit(main_until_signal(poll_until))
