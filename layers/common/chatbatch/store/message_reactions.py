"""SQL for message_reactions: each person's current reaction to a message, by the message's gateway id."""

from __future__ import annotations

from chatbatch.db import Cursor
from chatbatch.domain.inbound.events import Reaction


def record(cur: Cursor, reaction: Reaction, *, chat_id: str) -> bool:
    """Keep ``reaction`` as its sender's reaction to the message, unless a newer one is stored; True if kept.

    Gateways deliver reactions late and more than once: the newest by the gateway's time wins, so a retried
    or late older event never brings back an emoji its sender since changed or took back.
    """
    cur.execute(
        """
        WITH kept AS (
            INSERT INTO message_reactions AS r
                (user_token, chat_id, message_id, sender_jid, from_me, emoji, reacted_at)
            VALUES (%(tenant)s, %(chat)s, %(message)s, %(sender)s, %(from_me)s, %(emoji)s,
                    LEAST(COALESCE(%(at)s, now()), now()))
            ON CONFLICT ON CONSTRAINT message_reactions_one_per_sender DO UPDATE SET
                emoji = EXCLUDED.emoji, reacted_at = EXCLUDED.reacted_at, from_me = EXCLUDED.from_me,
                updated_at = now()
            WHERE EXCLUDED.reacted_at >= r.reacted_at
              AND (EXCLUDED.emoji, EXCLUDED.from_me) IS DISTINCT FROM (r.emoji, r.from_me)
            RETURNING id
        ), stamped AS (  -- the history page polls the rooms that changed
            UPDATE chat_rooms SET updated_at = now()
             WHERE chat_id = %(chat)s AND user_token = %(tenant)s AND EXISTS (SELECT 1 FROM kept)
        )
        SELECT count(*) FROM kept
        """,
        {
            "tenant": reaction.tenant,
            "chat": chat_id,
            "message": reaction.message_id,
            "sender": reaction.sender_jid,
            "from_me": reaction.from_me,
            "emoji": reaction.emoji,
            "at": reaction.reacted_at,
        },
    )
    return cur.fetchone()[0] > 0
