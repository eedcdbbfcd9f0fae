"""SQL for ai_chat_messages: the AI's working set of every message the webhook received."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chatbatch.db import Cursor
from chatbatch.domain.messages import IncomingMessage
from chatbatch.domain.prompt import ChatLine


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


def attach_to_job(cur: Cursor, bubble_ids: Sequence[int], *, job_id: int) -> None:
    """The bubbles now belong to ``job_id``: the debounce sweep never batches them again."""
    cur.execute(
        "UPDATE ai_chat_messages SET is_batched = true, batch_id = %s WHERE id = ANY(%s)",
        (job_id, list(bubble_ids)),
    )


def pending_ids(cur: Cursor, *, session_tok: str, chat_jid: str) -> list[int]:
    """The chat's bubbles waiting for a reply, oldest first."""
    cur.execute(
        "SELECT id FROM ai_chat_messages WHERE session_tok = %s AND chat_jid = %s AND needs_reply AND NOT is_batched"
        " ORDER BY id",
        (session_tok, chat_jid),
    )
    return [row[0] for row in cur.fetchall()]


@dataclass(frozen=True)
class Burst:
    lines: list[ChatLine]  # the job's bubbles, in the job's order
    arrived_at: datetime  # arrival of the newest bubble (the end-to-end reply latency starts here)
    business_jid: str  # the session's own number the bubbles were sent to: the reply's sender


def burst(cur: Cursor, bubble_ids: Sequence[int]) -> Burst:
    cur.execute(
        """
        SELECT m.message_id, m.message_type, m.body, m.last_activity, m."to"
          FROM unnest(%s::bigint[]) WITH ORDINALITY AS b(id, position)
          JOIN ai_chat_messages m ON m.id = b.id
         ORDER BY b.position
        """,
        (list(bubble_ids),),
    )
    rows = cur.fetchall()
    if not rows:
        raise LookupError(f"none of the job's bubbles {list(bubble_ids)} exist")
    lines = [ChatLine(message_id=r[0], sender_type="contact", message_type=r[1], content=r[2]) for r in rows]
    return Burst(lines, max(r[3] for r in rows), rows[-1][4])
