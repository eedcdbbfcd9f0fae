"""The job queue port (sweeper -> worker): a small protocol, the SQS FIFO adapter (which also lets the worker hand
a failed message back early), and a fake for unit tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatbatch.domain.job_message import JobMessage
from chatbatch.observability import logger

SQS_MAX_BATCH_ENTRIES = 10  # SendMessageBatch accepts at most ten entries
SQS_MAX_VISIBILITY_SECONDS = 43_200  # ChangeMessageVisibility's upper bound (12 hours)


@dataclass
class SendOutcome:
    """Which jobs the queue accepted; the others (with why) stay due in the outbox."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


class JobQueue(Protocol):
    def send(self, messages: Sequence[JobMessage]) -> SendOutcome:
        """Send the messages in order; report each one. Queue-side failures are reported, never raised."""
        ...


class SqsJobQueue:
    """SQS FIFO via SendMessageBatch (ten per call). ``endpoint_url`` points at a local SQS (moto) when set."""

    def __init__(
        self, queue_url: str, *, region: str, endpoint_url: str | None = None, timeout_seconds: float = 5.0
    ) -> None:
        self.queue_url = queue_url
        self._region = region
        self._endpoint_url = endpoint_url
        self._timeout = timeout_seconds
        self._client: Any = None

    @classmethod
    def from_settings(cls, settings: Any) -> SqsJobQueue:
        settings.require_queue()
        return cls(settings.queue_url, region=settings.aws_region, endpoint_url=settings.sqs_endpoint_url)

    def _sqs(self) -> Any:
        if self._client is None:
            import boto3  # on first send only: importing boto3 costs cold-start time
            from botocore.config import Config

            config = Config(
                connect_timeout=self._timeout,
                read_timeout=self._timeout,
                retries={"mode": "standard", "max_attempts": 2},
            )
            self._client = boto3.session.Session().client(
                "sqs", region_name=self._region, endpoint_url=self._endpoint_url, config=config
            )
        return self._client

    def send(self, messages: Sequence[JobMessage]) -> SendOutcome:
        from botocore.exceptions import BotoCoreError, ClientError

        outcome = SendOutcome()
        for start in range(0, len(messages), SQS_MAX_BATCH_ENTRIES):
            chunk = messages[start : start + SQS_MAX_BATCH_ENTRIES]
            try:
                response = self._sqs().send_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {
                            "Id": str(m.job_id),
                            "MessageBody": m.body(),
                            "MessageGroupId": m.group_id,
                            "MessageDeduplicationId": m.deduplication_id,
                        }
                        for m in chunk
                    ],
                )
            except (BotoCoreError, ClientError) as exc:
                # SQS unreachable or refusing: stop here; everything not sent stays due for the next sweep.
                reason = f"{type(exc).__name__}: {exc}"
                logger.warning("sending jobs to SQS failed", extra={"error": reason, "jobs": len(messages) - start})
                outcome.failed.update({m.job_id: reason for m in messages[start:]})
                break
            outcome.sent.extend(int(entry["Id"]) for entry in response.get("Successful", []))
            outcome.failed.update(
                {
                    int(entry["Id"]): f"{entry.get('Code')}: {entry.get('Message', '')}"
                    for entry in response.get("Failed", [])
                }
            )
        return outcome

    def retry_later(self, receipt_handle: str, seconds: float) -> bool:
        """The worker gives a received message back: SQS delivers it again in ``seconds`` instead of after the
        queue's visibility timeout (ChangeMessageVisibility). False (logged) when SQS refused or was unreachable:
        the message then comes back after the visibility timeout, later but not lost."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._sqs().change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=min(SQS_MAX_VISIBILITY_SECONDS, max(0, math.ceil(seconds))),
            )
        except (BotoCoreError, ClientError) as exc:
            logger.warning("handing a message back to SQS failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            return False
        return True


class FakeJobQueue:
    """In memory, for unit tests: records what was sent; ``refuse`` makes the listed jobs fail."""

    def __init__(self, refuse: set[int] | None = None) -> None:
        self.messages: list[JobMessage] = []
        self.refuse = set(refuse or ())

    def send(self, messages: Sequence[JobMessage]) -> SendOutcome:
        outcome = SendOutcome()
        for message in messages:
            if message.job_id in self.refuse:
                outcome.failed[message.job_id] = "refused by the fake queue"
            else:
                self.messages.append(message)
                outcome.sent.append(message.job_id)
        return outcome
