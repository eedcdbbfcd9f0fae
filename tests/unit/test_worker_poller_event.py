"""The local poller builds the same SQS event shape Lambda delivers (and events/worker_sqs_fifo.json holds)."""

from __future__ import annotations

from chatbatch_local.worker_poller import lambda_event

from tests.support import load_event


def test_a_received_message_becomes_a_lambda_sqs_record():
    sample = load_event("worker_sqs_fifo.json")["Records"][0]
    received = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh",
        "Body": '{"job_id": 7}',
        "MD5OfBody": "md5",
        "Attributes": dict(sample["attributes"], ApproximateReceiveCount="3"),
    }

    [record] = lambda_event([received], queue_arn=sample["eventSourceARN"], region="us-east-1")["Records"]

    assert record.keys() == sample.keys()
    assert record["attributes"].keys() == sample["attributes"].keys()
    assert (record["messageId"], record["body"], record["attributes"]["ApproximateReceiveCount"]) == (
        "m-1",
        '{"job_id": 7}',
        "3",
    )
