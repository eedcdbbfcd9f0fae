"""The SQS message that hands a job from the sweeper to the worker (docs/contracts.md, "The job message"). Pure.

- Body: ``{"job_id", "session_tok", "chat_jid"}``; the worker trusts only ``job_id`` and reloads the job.
- MessageGroupId: one group per chat, so one chat's jobs are answered in order while chats run in parallel.
  A hash, because SQS allows at most 128 characters and a JID holds a phone number we keep out of AWS
  consoles and logs.
- MessageDeduplicationId: the job id and its send generation. Sending the same generation again (a crash
  after SQS accepted it but before we recorded it) is dropped by SQS within its 5-minute window; a deliberate
  re-send of a stuck job uses the next generation, so SQS delivers it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class JobMessage:
    job_id: int
    tenant: str
    chat_jid: str
    generation: int = 0  # how many times the job was sent before (0: its first send)

    @property
    def group_id(self) -> str:
        return chat_group_id(self.tenant, self.chat_jid)

    @property
    def deduplication_id(self) -> str:
        return f"job-{self.job_id}-{self.generation}"

    def body(self) -> str:
        return json.dumps(
            {"job_id": self.job_id, "session_tok": self.tenant, "chat_jid": self.chat_jid}, separators=(",", ":")
        )


def chat_group_id(tenant: str, chat_jid: str) -> str:
    """``chat-`` + sha256 of the chat key: 69 characters, the same for every job of the chat."""
    digest = hashlib.sha256(f"{tenant}\x1f{chat_jid}".encode()).hexdigest()
    return f"chat-{digest}"
