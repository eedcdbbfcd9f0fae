"""Use case: a webhook message lands, once, in the AI's working set and in the permanent chat history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chatbatch.db import Cursor, Database
from chatbatch.domain.messages import IncomingMessage
from chatbatch.domain.takeover import ECHO_TEXT_WINDOW, echoed_reply
from chatbatch.store import ai_chat_messages, ai_jobs, chat_messages, chat_rooms, tenant_settings


@dataclass(frozen=True)
class IngestResult:
    status: Literal["accepted", "duplicate"]
    message_id: str
    chat_id: str
    chat_room_id: int | None = None
    echo: bool = False  # the gateway's echo of the bot's own reply: already in the history as the 'ai' message
    takeover: bool = False  # a human on the business side wrote: the bot stays silent in this chat for a while


def ingest_message(db: Database, msg: IncomingMessage, *, reply_groups: bool) -> IngestResult:
    """One transaction: ai_chat_messages row + chat_rooms upsert + chat_messages row.

    A retried webhook (same session and message id) changes nothing and reports ``duplicate``.
    A ``from_me`` message is either the echo of the bot's reply (kept in ai_chat_messages only, so a retried
    echo stays a duplicate; the worker writes the reply to the history itself) or a human taking the chat over.
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
        if msg.from_me and _is_echo_of_a_reply(cur, msg):
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
        )
        if msg.from_me:
            chat_rooms.mark_human_active(cur, room_id)
        return IngestResult("accepted", msg.message_id, msg.chat_id, room_id, takeover=msg.from_me)

    return db.transaction(work)


# Replies the business sent through the gateway, whose from_me echo is no new message: the bot's (ai_jobs) and
# the staff's from the console (chat_messages); each with how to record which message was its echo.
_SENT_REPLIES = (
    (ai_jobs.sent_replies, ai_jobs.record_echo),
    (chat_messages.staff_replies, chat_messages.record_staff_echo),
)


def _is_echo_of_a_reply(cur: Cursor, msg: IncomingMessage) -> bool:
    for sent_replies, record_echo in _SENT_REPLIES:
        replies, now = sent_replies(
            cur, session_tok=msg.session_tok, chat_jid=msg.chat_jid, message_id=msg.message_id, within=ECHO_TEXT_WINDOW
        )
        reply = echoed_reply(msg.message_id, msg.body, now, replies)
        if reply is not None:
            record_echo(cur, reply.job_id, message_id=msg.message_id)
            return True
    return False
