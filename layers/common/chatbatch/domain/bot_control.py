"""Whether the bot answers a chat at all, beyond human takeover: the tenant's on/off switch, an operator's pause
of one chat, and business hours with their away message. Pure, no I/O.

Outside business hours the LLM is never asked: the chat gets the tenant's away message, once per closed period
(the first burst of the period; later bursts of that period are skipped), or nothing when the tenant set no
away message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatbatch.domain.business_hours import BusinessHours

BOT_OFF = "the bot is switched off for this session (bot_enabled is false)"
PAUSED = "an operator paused the bot in this chat"
AWAY_ALREADY_SENT = "outside business hours: this chat already got the away message of this closed period"
CLOSED_WITHOUT_AWAY_MESSAGE = "outside business hours, and no away message is set"


def reason_bot_is_off(*, bot_enabled: bool, paused: bool) -> str | None:
    """Why the bot must not answer because of the tenant's switch or the chat's pause (None: it may)."""
    if not bot_enabled:
        return BOT_OFF
    if paused:
        return PAUSED
    return None


@dataclass(frozen=True)
class AwayDecision:
    """What a new burst gets now: the LLM's reply (both None), the away message of the closed period that
    began at ``closed_since``, or nothing (``silent``: why)."""

    closed_since: datetime | None = None
    silent: str | None = None


OPEN = AwayDecision()


def away_decision(
    hours: BusinessHours | None, away_message: str | None, *, now: datetime, away_sent_for: datetime | None
) -> AwayDecision:
    """``away_sent_for``: the closed period the chat last got the away message for."""
    closed_since = hours.closed_since(now) if hours is not None else None
    if closed_since is None:
        return OPEN
    if not away_message:
        return AwayDecision(silent=CLOSED_WITHOUT_AWAY_MESSAGE)
    if away_sent_for == closed_since:
        return AwayDecision(silent=AWAY_ALREADY_SENT)
    return AwayDecision(closed_since=closed_since)
