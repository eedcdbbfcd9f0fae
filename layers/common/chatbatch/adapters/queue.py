"""The job queue port (sweeper -> worker): a small protocol and the SQS FIFO adapter (which also lets the worker hand
a failed message back early). The in-memory fake for tests lives in tests/support/queue.py."""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chatbatch.domain.job_message import JobMessage
from chatbatch.observability import logger

if TYPE_CHECKING:
    from chatbatch.adapters.sqs_batch import SendMessageBatch

SQS_MAX_BATCH_ENTRIES = 10  # SendMessageBatch accepts at most ten entries
SQS_MAX_VISIBILITY_SECONDS = 43_200  # ChangeMessageVisibility's upper bound (12 hours)
DEFAULT_SEND_LANES = 16  # SendMessageBatch calls in flight at once (docs/scale.md)


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
    """SQS FIFO via SendMessageBatch (ten per call), ``lanes`` calls in flight at once. ``endpoint_url`` points at a
    local SQS (moto) when set.

    A call waits on the network far longer than it computes, so 10,000 jobs (1,000 calls) go out in parallel
    lanes. Every message of one group (one chat) goes through the same lane, in order: a chat's jobs reach its
    FIFO group in the order they were given, whatever the other lanes do.
    """

    def __init__(
        self,
        queue_url: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        timeout_seconds: float = 5.0,
        lanes: int = DEFAULT_SEND_LANES,
    ) -> None:
        if lanes < 1:
            raise ValueError("lanes must be at least 1")
        self.queue_url = queue_url
        self.lanes = lanes
        self._region = region
        self._endpoint_url = endpoint_url
        self._timeout = timeout_seconds
        self._client: Any = None
        self._session: Any = None
        self._sender: SendMessageBatch | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> SqsJobQueue:
        settings.require_queue()
        return cls(
            settings.queue_url,
            region=settings.aws_region,
            endpoint_url=settings.sqs_endpoint_url,
            lanes=getattr(settings, "sqs_send_lanes", DEFAULT_SEND_LANES),
        )

    def _sqs(self) -> Any:
        """The boto3 client: every call but the sweeper's SendMessageBatch (``_batch_sender``)."""
        if self._client is None:
            import boto3  # on first use only: importing boto3 costs cold-start time
            import botocore.session
            from botocore.config import Config

            config = Config(
                connect_timeout=self._timeout,
                read_timeout=self._timeout,
                retries={"mode": "standard", "max_attempts": 2},
                max_pool_connections=max(10, self.lanes),
            )
            self._session = botocore.session.get_session()  # botocore's: the sender reads its settings too
            self._client = boto3.session.Session(botocore_session=self._session).client(
                "sqs", region_name=self._region, endpoint_url=self._endpoint_url, config=config
            )
        return self._client

    def _batch_sender(self) -> SendMessageBatch:
        """SendMessageBatch as one signed POST (adapters/sqs_batch.py: ~0.6 ms of CPU per call where the boto3
        client's cost ~1.0 ms; 1,000 calls per 10,000-job tick), with the boto3 client's endpoint, credentials and
        timeouts; one kept-alive connection per lane."""
        if self._sender is None:
            from chatbatch.adapters.sqs_batch import SendMessageBatch  # with boto3: on first send only

            client = self._sqs()
            self._sender = SendMessageBatch(
                self.queue_url,
                endpoint_url=client.meta.endpoint_url,
                region=client.meta.region_name,
                credentials=self._session.get_credentials(),
                timeout_seconds=self._timeout,
                connections=max(10, self.lanes),
                ca_bundle=self._session.get_config_variable("ca_bundle"),  # AWS_CA_BUNDLE, as boto3 reads it
            )
        return self._sender

    def send(self, messages: Sequence[JobMessage]) -> SendOutcome:
        lanes = split_into_lanes(messages, self.lanes)
        if not lanes:
            return SendOutcome()
        sender = self._batch_sender()  # made once, before the threads share it (it is thread-safe)
        if len(lanes) == 1:
            return self._send_lane(sender, lanes[0])
        outcome = SendOutcome()
        with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="sqs-lane") as pool:
            for lane in pool.map(lambda lane: self._send_lane(sender, lane), lanes):
                outcome.sent.extend(lane.sent)
                outcome.failed.update(lane.failed)
        return outcome

    def _send_lane(self, sender: SendMessageBatch, messages: Sequence[JobMessage]) -> SendOutcome:
        from chatbatch.adapters.sqs_batch import SqsCallFailed

        outcome = SendOutcome()
        for start in range(0, len(messages), SQS_MAX_BATCH_ENTRIES):
            chunk = messages[start : start + SQS_MAX_BATCH_ENTRIES]
            try:
                result = sender.send(
                    [
                        {
                            "Id": str(m.job_id),
                            "MessageBody": m.body(),
                            "MessageGroupId": m.group_id,
                            "MessageDeduplicationId": m.deduplication_id,
                        }
                        for m in chunk
                    ]
                )
            except SqsCallFailed as exc:
                # SQS unreachable or refusing: this lane stops here (a later job of a chat never overtakes an
                # earlier one); everything it did not send stays due for the next sweep.
                reason = str(exc)
                logger.warning("sending jobs to SQS failed", extra={"error": reason, "jobs": len(messages) - start})
                outcome.failed.update({m.job_id: reason for m in messages[start:]})
                break
            outcome.sent.extend(int(entry_id) for entry_id in result.successful)
            outcome.failed.update({int(entry_id): reason for entry_id, reason in result.failed.items()})
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


def split_into_lanes(messages: Sequence[JobMessage], lanes: int) -> list[list[JobMessage]]:
    """At most ``lanes`` lists, each in the given order, the messages of one group always in the same list. Pure.
    Groups are dealt out round robin in order of first appearance, so the lanes hold about as many groups each;
    when there are enough groups to fill every lane's calls (a busy tick: one job per chat), in blocks of ten, so
    each lane's calls are full: 1,000 jobs over 16 lanes are 100 calls, where one group at a time made 112."""
    out: list[list[JobMessage]] = [[] for _ in range(max(1, min(lanes, len(messages))))]
    groups = len({message.group_id for message in messages})
    block = SQS_MAX_BATCH_ENTRIES if groups >= SQS_MAX_BATCH_ENTRIES * len(out) else 1
    lane_of: dict[str, int] = {}
    for message in messages:
        lane = lane_of.setdefault(message.group_id, len(lane_of) // block % len(out))
        out[lane].append(message)
    return [lane for lane in out if lane]
