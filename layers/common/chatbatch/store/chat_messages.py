"""SQL for chat_messages: the permanent history of every message of a room (contact, user and ai)."""

from __future__ import annotations

from datetime import datetime

from chatbatch.db import Cursor


def insert(
    cur: Cursor,
    *,
    message_id: str,
    chat_room_id: int,
    chat_id: str,
    user_token: str,
    sender_jid: str,
    sender_type: str,
    message_type: str,
    content: str,
    status: str,
    at: datetime,
) -> int | None:
    """Insert one history message; its id, or None when the tenant already has this message id."""
    cur.execute(
        """
        INSERT INTO chat_messages
            (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,
             message_type, content, status, message_timestamp)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (user_token, message_id) DO NOTHING
        RETURNING id
        """,
        (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type, message_type,
         content, status, at),
    )
    row = cur.fetchone()
    return row[0] if row else None
