"""An in-memory job queue for tests (the port of chatbatch/adapters/queue.py): never shipped in the Lambda layer."""

from __future__ import annotations

from collections.abc import Sequence

from chatbatch.adapters.queue import SendOutcome
from chatbatch.domain.job_message import JobMessage


class FakeJobQueue:
    """Records what was sent; ``refuse`` makes the listed jobs fail."""

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
