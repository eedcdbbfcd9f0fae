"""Use case: a webhook message lands, once, in the AI's working set and in the permanent chat history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chatbatch.db import Cursor, Database
from chatbatch.domain.messages import IncomingMessage
from chatbatch.domain.sending import parse_part_reference
from chatbatch.domain.takeover import ECHO_TEXT_WINDOW, echoed_reply
from chatbatch.observability import tracer
from chatbatch.services.bot_messages import save_bot_message
from chatbatch.store import ai_chat_messages, chat_messages, chat_rooms, reply_parts, tenant_settings


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
    """One transaction: ai_chat_messages row + chat_rooms upsert + chat_messages row.

    A retried webhook (same session and message id) changes nothing and reports ``duplicate``.
    A ``from_me`` message is either the echo of a part of the bot's reply (kept in ai_chat_messages only, so a
    retried echo stays a duplicate; the worker writes the reply to the history itself) or a human taking the chat
    over.
    """

    def work(cur: Cursor) -> IngestResult:
        groups = reply_groups
        if msg.is_group and not msg.from_me:  # only a customer's group message pays for the tenant's own switch
            own = tenant_settings.get(cur, msg.session_tok).overrides["ai_reply_groups"]
            groups = reply_groups if own is None else own
        stored = ai_chat_messages.insert(cur, msg, needs_reply=msg.needs_reply(reply_groups=groups))
        if stored is None:
            return IngestResult("duplicate", msg.message_id, msg.chat_id)
        _, at = stored
        if msg.from_me and (_is_echo_of_bot_reply(cur, msg, at) or _is_echo_of_staff_reply(cur, msg)):
            return IngestResult("accepted", msg.message_id, msg.chat_id, echo=True)
        room_id = chat_rooms.upsert_for_message(
            cur,
            chat_id=msg.chat_id,
            user_token=msg.session_tok,
            contact_jid=msg.chat_jid,
            contact_name=msg.contact_name,
            is_group=msg.is_group,
            content=msg.body,
            sender_type=msg.sender_type,
            at=at,
            unread_increment=0 if msg.from_me else 1,
        )
        chat_messages.insert(
            cur,
            message_id=msg.message_id,
            chat_room_id=room_id,
            chat_id=msg.chat_id,
            user_token=msg.session_tok,
            sender_jid=msg.sender_jid,
            sender_type=msg.sender_type,
            message_type=msg.message_type,
            content=msg.body,
            status="sent" if msg.from_me else "received",
            at=at,
            reply_to_message_id=msg.reply_to_message_id,
        )
        if msg.from_me:
            chat_rooms.mark_human_active(cur, room_id)
        return IngestResult("accepted", msg.message_id, msg.chat_id, room_id, takeover=msg.from_me)

    return db.transaction(work)


def _is_echo_of_bot_reply(cur: Cursor, msg: IncomingMessage, at: datetime) -> bool:
    parts, now = reply_parts.sent_parts(
        cur, session_tok=msg.session_tok, chat_jid=msg.chat_jid, message_id=msg.message_id, within=ECHO_TEXT_WINDOW
    )
    part = echoed_reply(msg.message_id, msg.body, now, parts)
    if part is None:
        return False
    reply_parts.record_echo(cur, part.job_id, part.position, message_id=msg.message_id)
    if not part.recorded and part.job_finished:
        # The worker gave the job up (or crashed past its last try) without recording this part: the echo is the
        # only proof the customer got it, so it joins the history here, as the bot's.
        reply_parts.mark_sent(cur, part.job_id, part.position, message_id=msg.message_id)
        save_bot_message(
            cur,
            session_tok=msg.session_tok,
            chat_jid=msg.chat_jid,
            business_jid=msg.sender_jid,
            message_id=msg.message_id,
            text=part.text,
            at=at,
        )
    return True


def settle_part_by_reference(db: Database, *, session_tok: str, reference: str | None, message_id: str) -> bool:
    """A gateway reported a message we sent by OUR reference of it (the Cloud API's statuses carry the
    ``biz_opaque_callback_data`` the worker sent): that part went out as ``message_id``. Like an echo, this settles
    a part whose send had an unknown outcome (domain/sending.py); Meta sends no echo, so its statuses are the proof.
    False when ``reference`` names no part of this tenant (or the proof was known already)."""
    part = parse_part_reference(reference)
    if part is None:
        return False
    job_id, position = part
    return db.transaction(
        lambda cur: reply_parts.record_echo(cur, job_id, position, message_id=message_id, session_tok=session_tok)
    )


def _is_echo_of_staff_reply(cur: Cursor, msg: IncomingMessage) -> bool:
    """The gateway's echo of a staff reply sent from the console: the console stored it already."""
    replies, now = chat_messages.staff_replies(
        cur, session_tok=msg.session_tok, chat_jid=msg.chat_jid, message_id=msg.message_id, within=ECHO_TEXT_WINDOW
    )
    reply = echoed_reply(msg.message_id, msg.body, now, replies)
    if reply is None:
        return False
    chat_messages.record_staff_echo(cur, reply.job_id, message_id=msg.message_id)
    return True
