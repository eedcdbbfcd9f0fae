"""SQL for chat_messages: the permanent history of every message of a room (contact, user and ai)."""

from __future__ import annotations

from datetime import datetime

from chatbatch.db import Cursor
from chatbatch.domain.prompt import ChatLine


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
        (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type, message_type, content, status, at),
    )
    row = cur.fetchone()
    return row[0] if row else None


def recent(cur: Cursor, *, chat_id: str, user_token: str, limit: int, arrived_by: datetime) -> list[ChatLine]:
    """The chat's last ``limit`` messages that had arrived by ``arrived_by``, oldest first (the prompt's history).

    Messages arriving after the burst belong to the next job, not to this one's context.
    """
    if limit <= 0:
        return []
    cur.execute(
        """
        SELECT message_id, sender_type, message_type, content FROM (
            SELECT id, message_id, sender_type, message_type, content, message_timestamp
              FROM chat_messages
             WHERE chat_id = %s AND user_token = %s AND created_at <= %s
             ORDER BY message_timestamp DESC, id DESC
             LIMIT %s
        ) newest
        ORDER BY message_timestamp, id
        """,
        (chat_id, user_token, arrived_by, limit),
    )
    return [ChatLine(*row) for row in cur.fetchall()]
