"""SQL for chat_messages: the permanent history of every message of a room (contact, user and ai)."""

from __future__ import annotations

from collections.abc import Sequence
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
    reply_to_message_id: str | None = None,
) -> int | None:
    """Insert one history message; its id, or None when the tenant already has this message id."""
    cur.execute(
        """
        INSERT INTO chat_messages
            (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,
             message_type, content, status, message_timestamp, reply_to_message_id)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (user_token, message_id) DO NOTHING
        RETURNING id
        """,
        (
            message_id,
            chat_room_id,
            chat_id,
            user_token,
            sender_jid,
            sender_type,
            message_type,
            content,
            status,
            at,
            reply_to_message_id,
        ),
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


def advance_status(
    cur: Cursor,
    *,
    user_token: str,
    message_ids: Sequence[str],
    status: str,
    error: str | None,
    from_statuses: Sequence[str],
) -> int:
    """Set ``status`` (and its ``error``) on the tenant's messages among ``message_ids`` whose status is one of
    ``from_statuses``; how many moved. Their rooms are stamped changed (the history page polls for changes)."""
    cur.execute(
        """
        WITH moved AS (
            UPDATE chat_messages
               SET status = %(status)s, status_error = %(error)s, updated_at = now()
             WHERE user_token = %(tenant)s AND message_id = ANY(%(ids)s) AND status = ANY(%(from)s)
            RETURNING chat_room_id
        ), stamped AS (
            UPDATE chat_rooms SET updated_at = now() WHERE id IN (SELECT chat_room_id FROM moved)
        )
        SELECT count(*) FROM moved
        """,
        {"status": status, "error": error, "tenant": user_token, "ids": list(message_ids), "from": list(from_statuses)},
    )
    return cur.fetchone()[0]


def mark_deleted(cur: Cursor, *, user_token: str, message_ids: Sequence[str]) -> int:
    """Mark the tenant's messages among ``message_ids`` deleted (the first deletion's time stays); how many were."""
    cur.execute(
        """
        WITH deleted AS (
            UPDATE chat_messages SET deleted_at = now(), updated_at = now()
             WHERE user_token = %(tenant)s AND message_id = ANY(%(ids)s) AND deleted_at IS NULL
            RETURNING chat_room_id
        ), stamped AS (
            UPDATE chat_rooms SET updated_at = now() WHERE id IN (SELECT chat_room_id FROM deleted)
        )
        SELECT count(*) FROM deleted
        """,
        {"tenant": user_token, "ids": list(message_ids)},
    )
    return cur.fetchone()[0]
