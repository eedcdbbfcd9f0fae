"""Sending a reply's parts at most once, and bringing a failed job back soon. Pure rules; the store keeps the facts.

A reply is sent as one or more parts (``reply_split``), each a WhatsApp message, in order. A part is

- ``pending``: never handed to the gateway, or the gateway answered that it did not take it;
- ``sending``: handed over, outcome unknown — set BEFORE the gateway is called, so a crash, a timeout after the
  gateway accepted, or a failed commit after the send all leave the part here;
- ``sent``: the gateway's answer (or its echo) is recorded.

A part in ``sending`` is never handed over again blindly: the gateway's echo of it (matched by id or identical
text by the webhook, ``takeover.echoed_reply``) proves it went out; without an echo it goes out again only after
``echo_wait`` since its hand-over — gateways echo within seconds. The job is meanwhile given back to the queue
until the wait is over (no sleeping in the worker).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class PartStatus(str, Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"


@dataclass(frozen=True)
class ReplyPart:
    job_id: int
    position: int  # 1-based: the order of the parts in the chat
    text: str
    status: PartStatus
    sending_at: datetime | None  # the latest hand-over to the gateway
    message_id: str | None  # the gateway's id, once recorded
    echo_ids: tuple[str, ...] = ()  # from_me messages the webhook took as this part's echoes


class Action(str, Enum):
    SKIP = "skip"  # sent and recorded already
    RECORD_ECHO = "record_echo"  # the gateway echoed it: it went out; record it, do not send it again
    WAIT = "wait"  # handed over, outcome unknown, no echo yet: give the job back until the echo wait is over
    SEND = "send"


@dataclass(frozen=True)
class Decision:
    action: Action
    wait: timedelta = timedelta(0)


def next_action(part: ReplyPart, *, now: datetime, echo_wait: timedelta) -> Decision:
    """What to do with ``part`` now (``now`` and ``sending_at`` from the database clock)."""
    if part.status is PartStatus.SENT:
        return Decision(Action.SKIP)
    if part.echo_ids:  # also for a 'pending' part: an error answer after WhatsApp had taken the message
        return Decision(Action.RECORD_ECHO)
    if part.status is PartStatus.SENDING and part.sending_at is not None:
        waited = now - part.sending_at
        if waited < echo_wait:
            return Decision(Action.WAIT, echo_wait - waited)
    return Decision(Action.SEND)


_REFERENCE = re.compile(r"^chatbatch:(\d{1,18}):(\d{1,6})$")


def part_reference(job_id: int, position: int) -> str:
    """Our stable name of a part, handed to gateways that carry one back (Meta's statuses)."""
    return f"chatbatch:{job_id}:{position}"


def parse_part_reference(reference: str | None) -> tuple[int, int] | None:
    """(job id, position) of a reference made by ``part_reference``; None for anything else."""
    found = _REFERENCE.match(reference or "")
    return (int(found[1]), int(found[2])) if found else None


def generated_message_id(job_id: int, position: int) -> str:
    """The history id of a part whose gateway named none: stable, so a repeated save cannot add a row."""
    return f"chatbatch-reply-{job_id}" if position == 1 else f"chatbatch-reply-{job_id}-{position}"


# WAHA serialises a message id as <fromMe>_<chat>_<key>, with _<participant> in groups or _out on newer WEBJS
# answers; WhatsApp's own key (3EB0…, BAE5…, wamid.…) is the part every form of one message shares.
_SERIALISED_ID = re.compile(r"^(?:true|false)_[^_]+@[^_]+_([^_]+)(?:_.*)?$")


def message_key(message_id: str) -> str:
    """The WhatsApp message key inside a gateway's message id: the answer and the echo of one message share it."""
    serialised = _SERIALISED_ID.match(message_id)
    return serialised.group(1) if serialised else message_id


# A failed attempt's message comes back after 10 s, 20 s, 40 s, 80 s (then 120 s): soon, but an outage of the
# LLM or the gateway gets a few minutes across the queue's receives before the job is given up.
RETRY_BASE_SECONDS = 10.0
RETRY_MAX_SECONDS = 120.0


def retry_delay(receive_count: int) -> float:
    """Seconds until the queue delivers a job again after its ``receive_count``-th receive failed."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, receive_count - 1))
