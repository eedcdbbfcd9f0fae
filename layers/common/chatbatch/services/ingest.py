"""Use case: a webhook message lands, once, in the AI's working set and in the permanent chat history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chatbatch.db import Cursor, Database
from chatbatch.domain.messages import IncomingMessage
from chatbatch.store import ai_chat_messages, chat_messages, chat_rooms


@dataclass(frozen=True)
class IngestResult:
    status: Literal["accepted", "duplicate"]
    message_id: str
    chat_id: str
    chat_room_id: int | None = None


def ingest_message(db: Database, msg: IncomingMessage, *, reply_groups: bool) -> IngestResult:
    """One transaction: ai_chat_messages row + chat_rooms upsert + chat_messages row.

    A retried webhook (same session and message id) changes nothing and reports ``duplicate``.
    """

    def work(cur: Cursor) -> IngestResult:
        stored = ai_chat_messages.insert(cur, msg, needs_reply=msg.needs_reply(reply_groups=reply_groups))
        if stored is None:
            return IngestResult("duplicate", msg.message_id, msg.chat_id)
        _, at = stored
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
        return IngestResult("accepted", msg.message_id, msg.chat_id, room_id)

    return db.transaction(work)
