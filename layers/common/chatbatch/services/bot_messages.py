"""The bot's messages in the chat history: one 'ai' message per part of a reply that went out.

Written by the worker when it records a part as sent, and by the webhook when the gateway's echo is the only
proof a part went out (its job finished without recording it: a crash or a timeout after the gateway accepted).
Part of the caller's transaction; a repeated write of one message id adds nothing. A delivery receipt that arrived
before the message was stored is applied to it here (services/receipts.py).
"""

from __future__ import annotations

from datetime import datetime

from chatbatch.db import Cursor
from chatbatch.domain.chats import Chat
from chatbatch.errors import ChatKeyTaken
from chatbatch.services import receipts
from chatbatch.store import chat_messages, chat_rooms


def save_bot_message(
    cur: Cursor, *, tenant: str, chat_jid: str, business_jid: str, message_id: str, text: str, at: datetime
) -> None:
    receipts.storing_message(cur, tenant=tenant, message_id=message_id)
    chat = Chat(tenant, chat_jid)
    room_chat_id = chat.room_key
    room_id = chat_rooms.upsert_for_message(
        cur,
        chat_id=room_chat_id,
        tenant=tenant,
        contact_jid=chat_jid,
        contact_name=None,
        is_group=chat.is_group,
        content=text,
        sender_type="ai",
        at=at,
        unread_increment=0,
    )
    if room_id is None:
        raise ChatKeyTaken(room_chat_id)
    chat_messages.insert(
        cur,
        message_id=message_id,
        chat_room_id=room_id,
        chat_id=room_chat_id,
        tenant=tenant,
        sender_jid=business_jid,
        sender_type="ai",
        message_type="text",
        content=text,
        status="sent",
        at=at,
    )
    receipts.message_stored(cur, tenant=tenant, message_id=message_id)  # a receipt that came first
