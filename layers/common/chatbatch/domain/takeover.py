"""Human takeover and the gateway's echoes of the bot's own replies. Pure rules; the store fetches the facts.

The gateway reports every message the business number sends (``from_me``) — also the bot's own replies, one
echo per WhatsApp message (a long reply goes out as several parts, each echoed on its own). An echo is recognised
by the gateway's message id of a sent part (compared by WhatsApp's message key: ``sending.message_key``), else by
identical text the bot handed to the gateway in that chat moments before (the echo may arrive before the worker
recorded the id, or carry another id than the gateway's answer did). Each hand-over of a part is echoed once, so a
part matches at most as many echoes by text as it was handed over — a part sent twice after an unknown outcome
absorbs both echoes. Any other ``from_me`` message is a human on the business side: the bot stays silent in that
chat until the human has been quiet for ``HUMAN_TAKEOVER_MINUTES``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chatbatch.domain.sending import message_key

# How long after handing a reply to the gateway an identical from_me text still counts as its echo. Gateways
# echo within seconds; the margin covers a slow gateway without swallowing a human's later identical words.
ECHO_TEXT_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class SentReply:
    """A reply part the bot handed to the gateway in one chat."""

    text: str
    message_id: str | None  # the gateway's id, once the worker recorded it
    sending_at: datetime  # the latest hand-over
    job_id: int | None = None
    position: int = 1
    handovers: int = 1  # hand-overs that may have reached WhatsApp: each is echoed once at most
    echo_ids: tuple[str, ...] = ()  # from_me messages already taken as this part's echoes
    recorded: bool = False  # the worker recorded it as sent (and wrote it to the history)
    job_finished: bool = False  # its job is done/skipped/failed: no worker will record it any more


def echoed_reply(message_id: str, body: str, arrived_at: datetime, replies: Iterable[SentReply]) -> SentReply | None:
    """The sent reply part this from_me message echoes (None: a human on the business side wrote it)."""
    replies = list(replies)
    key = message_key(message_id)
    for reply in replies:
        if key in {message_key(known) for known in (reply.message_id, *reply.echo_ids) if known}:
            return reply
    for reply in replies:
        if (
            len(reply.echo_ids) < reply.handovers
            and reply.text == body
            and timedelta(0) <= arrived_at - reply.sending_at <= ECHO_TEXT_WINDOW
        ):
            return reply
    return None


def takeover_active(human_active_at: datetime | None, now: datetime, *, minutes: float) -> bool:
    """Is a human answering this chat? True until ``minutes`` after the human's last message."""
    if human_active_at is None or minutes <= 0:
        return False
    return now < human_active_at + timedelta(minutes=minutes)


TAKEN_OVER = "a human on the business side is answering this chat (human takeover)"
GROUPS_OFF = "group chats are not answered (AI_REPLY_GROUPS is off)"


def reason_to_stay_silent(
    *, is_group: bool, reply_groups: bool, human_active_at: datetime | None, now: datetime, takeover_minutes: float
) -> str | None:
    """Why the bot must not answer this chat now (None: it may)."""
    if is_group and not reply_groups:
        return GROUPS_OFF
    if takeover_active(human_active_at, now, minutes=takeover_minutes):
        return TAKEN_OVER
    return None
