"""Use case: a webhook message lands, once, in the AI's working set and in the permanent chat history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chatbatch.db import Cursor, Database
from chatbatch.domain.messages import IncomingMessage
from chatbatch.domain.sending import parse_part_reference
from chatbatch.domain.takeover import ECHO_TEXT_WINDOW, SentReply, echoed_reply
from chatbatch.errors import ChatKeyTaken
from chatbatch.observability import tracer
from chatbatch.services.bot_messages import save_bot_message
from chatbatch.store import ai_chat_messages, received_messages, reply_parts


@dataclass(frozen=True)
class IngestResult:
    status: Literal["accepted", "duplicate"]
    message_id: str
    chat_id: str
    chat_room_id: int | None = None
    echo: bool = False  # the gateway's echo of the bot's own reply: already in the history as the 'ai' message
    takeover: bool = False  # a human on the business side wrote: the bot stays silent in this chat for a while


@tracer.capture_method
def ingest_message(db: Database, msg: IncomingMessage, *, reply_groups: bool) -> IngestResult:
    """The message, its room and its history row, written together by one statement (store/received_messages.py:
    one round trip, no BEGIN/COMMIT). A retried webhook (same session and message id) changes nothing and reports
    ``duplicate``.

    A ``from_me`` message is either the echo of a part of the bot's reply or of a staff reply (kept in
    ai_chat_messages only, so a retried echo stays a duplicate; the history has the message already) or a human
    taking the chat over: one read first (stored already? the echo candidates), then that one statement.
    """
    if msg.from_me:
        facts = db.statements(lambda cur: received_messages.from_business(cur, msg, within=ECHO_TEXT_WINDOW))
        if facts.stored:
            return IngestResult("duplicate", msg.message_id, msg.chat_id)
        echoed = _echoed(msg, facts)
        if echoed is not None and echoed.joins_history:
            return db.transaction(lambda cur: _store_unrecorded_part(cur, msg, echoed.reply))
        if echoed is not None:
            stored = db.statements(
                lambda cur: received_messages.store_echo(cur, msg, echoed.reply, of_staff=echoed.of_staff)
            )
            return IngestResult("accepted" if stored else "duplicate", msg.message_id, msg.chat_id, echo=stored)
    replying = received_messages.Replying(
        with_groups=msg.needs_reply(reply_groups=True),
        without_groups=msg.needs_reply(reply_groups=False),
        groups=reply_groups,
    )
    received = db.statements(lambda cur: received_messages.store(cur, msg, replying=replying, human=msg.from_me))
    if received.outcome == "room_key_taken":
        raise ChatKeyTaken(msg.chat_id)
    if received.outcome == "duplicate":
        return IngestResult("duplicate", msg.message_id, msg.chat_id)
    return IngestResult("accepted", msg.message_id, msg.chat_id, received.room_id, takeover=msg.from_me)


@dataclass(frozen=True)
class _Echo:
    reply: SentReply
    of_staff: bool  # a staff reply sent from the console (else a part of the bot's reply)

    @property
    def joins_history(self) -> bool:
        """The worker gave the part's job up (or crashed past its last try) without recording the part: the echo
        is the only proof the customer got it, so it joins the history with it, as the bot's."""
        return not self.of_staff and not self.reply.recorded and self.reply.job_finished


def _echoed(msg: IncomingMessage, facts: received_messages.FromBusiness) -> _Echo | None:
    """What this from_me message echoes: a part of the bot's reply, a staff reply, or nothing (a human wrote it)."""
    part = echoed_reply(msg.message_id, msg.body, facts.now, facts.parts)
    if part is not None:
        return _Echo(part, of_staff=False)
    reply = echoed_reply(msg.message_id, msg.body, facts.now, facts.staff_replies)
    return None if reply is None else _Echo(reply, of_staff=True)


def _store_unrecorded_part(cur: Cursor, msg: IncomingMessage, part: SentReply) -> IngestResult:
    stored = ai_chat_messages.insert(cur, msg, needs_reply=False)
    if stored is None:
        return IngestResult("duplicate", msg.message_id, msg.chat_id)
    _, at = stored
    reply_parts.record_echo(cur, part.job_id, part.position, message_id=msg.message_id)
    reply_parts.mark_sent(cur, part.job_id, part.position, message_id=msg.message_id)
    save_bot_message(
        cur,
        tenant=msg.tenant,
        chat_jid=msg.chat_jid,
        business_jid=msg.sender_jid,
        message_id=msg.message_id,
        text=part.text,
        at=at,
    )
    return IngestResult("accepted", msg.message_id, msg.chat_id, echo=True)


def settle_part_by_reference(db: Database, *, tenant: str, reference: str | None, message_id: str) -> bool:
    """A gateway reported a message we sent by OUR reference of it (the Cloud API's statuses carry the
    ``biz_opaque_callback_data`` the worker sent): that part went out as ``message_id``. Like an echo, this settles
    a part whose send had an unknown outcome (domain/sending.py); Meta sends no echo, so its statuses are the proof.
    False when ``reference`` names no part of this tenant (or the proof was known already)."""
    part = parse_part_reference(reference)
    if part is None:
        return False
    job_id, position = part
    return db.transaction(
        lambda cur: reply_parts.record_echo(cur, job_id, position, message_id=message_id, tenant=tenant)
    )
