"""SQL for chat_messages: the permanent history of every message of a room (contact, user and ai)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chatbatch.db import Cursor
from chatbatch.domain.messages import chat_id as room_chat_id
from chatbatch.domain.prompt import ChatLine
from chatbatch.domain.takeover import SentReply


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
    sent_by: str | None = None,
) -> int | None:
    """Insert one history message; its id, or None when the tenant already has this message id.
    ``sent_by``: the operator who sent it from the console (a staff reply)."""
    cur.execute(
        """
        INSERT INTO chat_messages
            (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,
             message_type, content, status, message_timestamp, reply_to_message_id, sent_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
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
            sent_by,
        ),
    )
    row = cur.fetchone()
    return row[0] if row else None


def recent(cur: Cursor, *, chat_id: str, user_token: str, limit: int, arrived_by: datetime) -> list[ChatLine]:
    """The chat's last ``limit`` messages that had arrived by ``arrived_by``, oldest first (the prompt's history).

    Messages arriving after the burst belong to the next job, not to this one's context. Read through the room's
    index (chat_messages_room_time, newest first) from its newest end: the cost follows ``limit`` (and the few
    messages that arrived after the burst), not the size of the chat's history
    (tests/worker/test_context_query_plan.py; bench_context).
    """
    if limit <= 0:
        return []
    cur.execute(
        """
        SELECT message_id, sender_type, message_type, content FROM (
            SELECT m.id, m.message_id, m.sender_type, m.message_type, m.content, m.message_timestamp
              FROM chat_messages m
             WHERE m.chat_room_id = (SELECT r.id FROM chat_rooms r WHERE r.chat_id = %(chat)s)
               AND m.user_token = %(tenant)s AND m.created_at <= %(arrived_by)s
             ORDER BY m.message_timestamp DESC, m.id DESC
             LIMIT %(limit)s
        ) newest
        ORDER BY message_timestamp, id
        """,
        {"chat": chat_id, "tenant": user_token, "arrived_by": arrived_by, "limit": limit},
    )
    return [ChatLine(*row) for row in cur.fetchall()]


# WhatsApp's keys of the ids a gateway event names (%(ids)s), as the expression index on chat_messages has them.
_KEYS = "ARRAY(SELECT whatsapp_message_key(i) FROM unnest(%(ids)s::text[]) AS i)"


def advance_status(
    cur: Cursor,
    *,
    user_token: str,
    message_ids: Sequence[str],
    status: str,
    error: str | None,
    from_statuses: Sequence[str],
) -> tuple[int, bool]:
    """Set ``status`` (and its ``error``) on the tenant's messages named by ``message_ids`` whose status is one of
    ``from_statuses``. A message is named by WhatsApp's key inside its id (``whatsapp_message_key``, migration
    0020), whatever form of the id the receipt and the history use. Returns how many moved, and whether the tenant
    has any message of those keys at all. Their rooms are stamped changed (the history page polls for changes)."""
    cur.execute(
        f"""
        WITH moved AS (
            UPDATE chat_messages
               SET status = %(status)s, status_error = %(error)s, updated_at = now()
             WHERE user_token = %(tenant)s AND whatsapp_message_key(message_id) = ANY({_KEYS})
               AND status = ANY(%(from)s)
            RETURNING chat_room_id
        ), stamped AS (
            UPDATE chat_rooms SET updated_at = now() WHERE id IN (SELECT chat_room_id FROM moved)
        )
        SELECT (SELECT count(*) FROM moved),
               EXISTS (SELECT 1 FROM chat_messages
                        WHERE user_token = %(tenant)s AND whatsapp_message_key(message_id) = ANY({_KEYS}))
        """,
        {"status": status, "error": error, "tenant": user_token, "ids": list(message_ids), "from": list(from_statuses)},
    )
    moved, known = cur.fetchone()
    return moved, known


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


# --- staff replies sent from the console ---------------------------------------------------------------------


def business_jid(cur: Cursor, *, chat_room_id: int, user_token: str) -> str | None:
    """The business number the room's customer writes to (the sender of a staff reply), from their newest message."""
    cur.execute(
        """
        SELECT a."to" FROM chat_messages m
          JOIN ai_chat_messages a ON a.session_tok = m.user_token AND a.message_id = m.message_id
         WHERE m.chat_room_id = %s AND m.user_token = %s AND m.sender_type = 'contact'
         ORDER BY m.message_timestamp DESC, m.id DESC
         LIMIT 1
        """,
        (chat_room_id, user_token),
    )
    row = cur.fetchone()
    return row[0] if row else None


def finish_staff_send(cur: Cursor, row_id: int, *, status: str, gateway_message_id: str | None) -> None:
    """Record how the send of a staff reply ended; a message id the gateway gave replaces the provisional one
    (unless the tenant already has a message with that id)."""
    cur.execute(
        """
        UPDATE chat_messages m
           SET status = %(status)s, updated_at = now(),
               message_id = CASE WHEN %(gid)s::text IS NOT NULL AND NOT EXISTS (
                                     SELECT 1 FROM chat_messages o WHERE o.user_token = m.user_token
                                                                     AND o.message_id = %(gid)s)
                                 THEN %(gid)s ELSE m.message_id END
         WHERE m.id = %(id)s
        """,
        {"status": status, "gid": gateway_message_id, "id": row_id},
    )


def staff_replies(
    cur: Cursor, *, session_tok: str, chat_jid: str, message_id: str, within: timedelta
) -> tuple[list[SentReply], datetime]:
    """Staff replies of this chat (sent from the console) that carry ``message_id`` or were sent ``within``
    before now; and now. ``SentReply.job_id`` holds the history row's id (``record_staff_echo`` takes it)."""
    cur.execute(
        """
        SELECT clock.now, m.id, m.content, m.message_id, m.message_timestamp, m.echo_message_id
          FROM (SELECT now() AS now) AS clock
          LEFT JOIN LATERAL (
                SELECT id, content, message_id, message_timestamp, echo_message_id FROM chat_messages
                 WHERE user_token = %(t)s AND message_id = %(mid)s AND sent_by IS NOT NULL
                UNION
                SELECT id, content, message_id, message_timestamp, echo_message_id FROM chat_messages
                 WHERE chat_room_id = (SELECT id FROM chat_rooms WHERE chat_id = %(c)s AND user_token = %(t)s)
                   AND message_timestamp >= clock.now - %(within)s AND sent_by IS NOT NULL
          ) AS m ON true
        """,
        {"t": session_tok, "c": room_chat_id(session_tok, chat_jid), "mid": message_id, "within": within},
    )
    rows = cur.fetchall()
    replies = [
        SentReply(text=r[2], message_id=r[3], sending_at=r[4], job_id=r[1], echo_ids=(r[5],) if r[5] else ())
        for r in rows
        if r[1] is not None
    ]
    return replies, rows[0][0]


def record_staff_echo(cur: Cursor, row_id: int, *, message_id: str) -> None:
    """The gateway's echo of this staff reply arrived as ``message_id`` (the first one taken counts)."""
    cur.execute(
        "UPDATE chat_messages SET echo_message_id = COALESCE(echo_message_id, %s) WHERE id = %s", (message_id, row_id)
    )
