"""The debounce rule: when a chat's pending bubbles are ready to become one reply job. Pure, no I/O.

A chat is ready when the contact has been quiet for the debounce window (its NEWEST pending bubble is at least
``debounce_seconds`` old — every new bubble restarts the window), or when a contact who never pauses has waited
long enough (its OLDEST pending bubble is ``max_wait_seconds`` old), or when the batch is full
(``max_batch_messages`` pending). A job takes at most ``max_batch_messages`` bubbles, oldest first; the rest
stay pending for the next job.

A rule that looks at each bubble's own age instead ("batch every unbatched message older than 3 s") would
batch the old bubbles of a contact who is still typing while the newer ones wait: one burst, several replies.
Here the window belongs to the chat, not to the bubble.

``store.ai_chat_messages`` implements exactly this rule in SQL against the database's clock; a test checks the
two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Readiness(str, Enum):
    WAITING = "waiting"  # the contact may still be typing
    QUIET = "quiet"  # the debounce window passed since the newest bubble
    MAX_WAIT = "max_wait"  # the oldest bubble waited the longest we let a contact wait
    FULL = "full"  # the batch cap is reached

    @property
    def ready(self) -> bool:
        return self is not Readiness.WAITING


@dataclass(frozen=True)
class DebounceRule:
    debounce_seconds: float
    max_wait_seconds: float
    max_batch_messages: int

    def __post_init__(self) -> None:
        if self.debounce_seconds <= 0 or self.max_wait_seconds <= 0:
            raise ValueError("debounce_seconds and max_wait_seconds must be positive")
        if self.max_batch_messages < 1:
            raise ValueError("max_batch_messages must be at least 1")

    @classmethod
    def from_settings(cls, settings) -> DebounceRule:
        return cls(settings.debounce_seconds, settings.max_wait_seconds, settings.max_batch_messages)

    def readiness(self, *, newest_at: datetime, oldest_at: datetime, pending: int, now: datetime) -> Readiness:
        """Why (or whether) a chat with ``pending`` bubbles, arrived between ``oldest_at`` and ``newest_at``,
        is ready at ``now``. The first reason that holds wins: full, then max wait, then quiet."""
        if pending >= self.max_batch_messages:
            return Readiness.FULL
        if now - oldest_at >= timedelta(seconds=self.max_wait_seconds):
            return Readiness.MAX_WAIT
        if now - newest_at >= timedelta(seconds=self.debounce_seconds):
            return Readiness.QUIET
        return Readiness.WAITING

    def next_batch(self, chat: PendingChat, now: datetime) -> Batch | None:
        """The job a chat's pending bubbles make at ``now``: its oldest ``max_batch_messages`` bubbles when the
        chat is ready, else None (the contact may still be typing)."""
        if not chat.bubbles:
            return None
        arrivals = [b.arrived_at for b in chat.bubbles]
        reason = self.readiness(newest_at=max(arrivals), oldest_at=min(arrivals), pending=len(arrivals), now=now)
        if not reason.ready:
            return None
        taken = chat.bubbles[: self.max_batch_messages]
        return Batch(
            tenant=chat.tenant,
            chat_jid=chat.chat_jid,
            message_ids=tuple(b.message_id for b in taken),
            first_message_at=min(b.arrived_at for b in taken),
            last_message_at=max(b.arrived_at for b in taken),
            reason=reason,
        )


@dataclass(frozen=True)
class Bubble:
    message_id: int  # ai_chat_messages.id
    arrived_at: datetime  # last_activity: the database's time of arrival


@dataclass(frozen=True)
class PendingChat:
    tenant: str
    chat_jid: str
    bubbles: tuple[Bubble, ...]  # in arrival order


@dataclass(frozen=True)
class Batch:
    """The bubbles of one chat that become one job."""

    tenant: str
    chat_jid: str
    message_ids: tuple[int, ...]  # arrival order
    first_message_at: datetime
    last_message_at: datetime
    reason: Readiness

    @property
    def size(self) -> int:
        return len(self.message_ids)
