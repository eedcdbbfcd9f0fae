"""SQL for ai_chat_messages: the AI's working set of every message the webhook received."""

from __future__ import annotations

from chatbatch.db import Cursor
from chatbatch.domain.messages import IncomingMessage


def insert(cur: Cursor, msg: IncomingMessage, *, needs_reply: bool) -> tuple[int, object] | None:
    """Insert the message; ``(id, arrival time)``, or None when (session, message id) is already stored."""
    cur.execute(
        """
        INSERT INTO ai_chat_messages
            (session_tok, "from", "to", chat_jid, participant, body, push_name, message_id,
             message_type, from_me, is_group, needs_reply, message_timestamp)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, COALESCE(%s, now()))
        ON CONFLICT (session_tok, message_id) DO NOTHING
        RETURNING id, message_timestamp
        """,
        (
            msg.session_tok, msg.from_jid, msg.to_jid, msg.chat_jid, msg.participant, msg.body,
            msg.push_name, msg.message_id, msg.message_type, msg.from_me, msg.is_group,
            needs_reply, msg.message_timestamp,
        ),
    )
    row = cur.fetchone()
    return (row[0], row[1]) if row else None
