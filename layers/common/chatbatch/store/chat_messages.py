"""SQL for chat_messages: the permanent history of every message of a room (contact, user and ai)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chatbatch.db import Cursor
from chatbatch.domain.delivery import UNCONFIRMED, DeliveryStatus
from chatbatch.domain.prompt import ChatLine

# One history message (named parameters, cast so a prepared statement knows their types: message_id, chat_id,
# user_token, sender_jid, sender_type, message_type, content, status, reply_to, sent_by; its room ``{room}`` and time
# ``{at}`` are SQL expressions over ``{source}``). A message id the tenant already has adds nothing.
_INSERT = """
    INSERT INTO chat_messages
        (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,
         message_type, content, status, message_timestamp, reply_to_message_id, sent_by)
    SELECT %(message_id)s::text, {room}, %(chat_id)s::text, %(user_token)s::text, %(sender_jid)s::text,
           %(sender_type)s::text, %(message_type)s::text, %(content)s::text, %(status)s::text, {at},
           %(reply_to)s::text, %(sent_by)s::text
      {source}
    ON CONFLICT (user_token, message_id) DO NOTHING
    RETURNING id
"""


def insert_statement(*, room: str, at: str, source: str) -> str:
    """The insert of one history message whose room and time come from ``source`` (a FROM clause), for a statement
    that writes its room too (store/received_messages.py). A room expression that yields NULL fails the whole
    statement (chat_room_id is NOT NULL): a message is never stored without its room."""
    return _INSERT.format(room=room, at=at, source=source)


def insert_params(
    *,
    message_id: str,
    chat_id: str,
    tenant: str,
    sender_jid: str,
    sender_type: str,
    message_type: str,
    content: str,
    status: str,
    reply_to_message_id: str | None = None,
    sent_by: str | None = None,
) -> dict:
    return {
        "message_id": message_id,
        "chat_id": chat_id,
        "user_token": tenant,
        "sender_jid": sender_jid,
        "sender_type": sender_type,
        "message_type": message_type,
        "content": content,
        "status": status,
        "reply_to": reply_to_message_id,
        "sent_by": sent_by,
    }


def insert(cur: Cursor, *, chat_room_id: int, at: datetime, **message) -> int | None:
    """Insert one history message (``insert_params`` names its fields); its id, or None when the tenant already has
    this message id. ``sent_by``: the operator who sent it from the console (a staff reply)."""
    cur.execute(
        insert_statement(room="%(room)s::bigint", at="%(at)s::timestamptz", source=""),
        {**insert_params(**message), "room": chat_room_id, "at": at},
    )
    row = cur.fetchone()
    return row[0] if row else None


def recent(cur: Cursor, *, chat_id: str, tenant: str, limit: int, arrived_by: datetime) -> list[ChatLine]:
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
        {"chat": chat_id, "tenant": tenant, "arrived_by": arrived_by, "limit": limit},
    )
    return [ChatLine(*row) for row in cur.fetchall()]


# WhatsApp's keys of the ids a gateway event names (%(ids)s), as the expression index on chat_messages has them.
_KEYS = "ARRAY(SELECT whatsapp_message_key(i) FROM unnest(%(ids)s::text[]) AS i)"
# The only ids whose key is not the id itself: WAHA's serialized forms (migration 0022 indexes their keys alone).
# Any other id is its own key, and a key is never an id that holds another key, so a message carries one of the
# keys exactly when ``_CARRIES_KEY`` holds (tests/integration/test_message_keys.py).
WAHA_FORM = r"(message_id LIKE 'true\_%%' OR message_id LIKE 'false\_%%')"
_CARRIES_KEY = f"(message_id = ANY({_KEYS}) OR ({WAHA_FORM} AND whatsapp_message_key(message_id) = ANY({_KEYS})))"


def advance_status(
    cur: Cursor,
    *,
    tenant: str,
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
             WHERE user_token = %(tenant)s AND {_CARRIES_KEY}
               AND status = ANY(%(from)s)
            RETURNING chat_room_id
        ), stamped AS (
            UPDATE chat_rooms SET updated_at = now() WHERE id IN (SELECT chat_room_id FROM moved)
        )
        SELECT (SELECT count(*) FROM moved),
               EXISTS (SELECT 1 FROM chat_messages
                        WHERE user_token = %(tenant)s AND {_CARRIES_KEY})
        """,
        {"status": status, "error": error, "tenant": tenant, "ids": list(message_ids), "from": list(from_statuses)},
    )
    moved, known = cur.fetchone()
    return moved, known


def mark_deleted(cur: Cursor, *, tenant: str, message_ids: Sequence[str]) -> int:
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
        {"tenant": tenant, "ids": list(message_ids)},
    )
    return cur.fetchone()[0]


# --- staff replies sent from the console ---------------------------------------------------------------------


def business_jid(cur: Cursor, *, chat_room_id: int, tenant: str) -> str | None:
    """The business number the room's customer writes to (the sender of a staff reply), from their newest message."""
    cur.execute(
        """
        SELECT a."to" FROM chat_messages m
          JOIN ai_chat_messages a ON a.session_tok = m.user_token AND a.message_id = m.message_id
         WHERE m.chat_room_id = %s AND m.user_token = %s AND m.sender_type = 'contact'
         ORDER BY m.message_timestamp DESC, m.id DESC
         LIMIT 1
        """,
        (chat_room_id, tenant),
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


# Staff replies of a chat (sent from the console) that carry the echo's id or were sent ``within`` before now, as
# ``SentReply`` rows (its fields in order; ``job_id`` holds the history row's id, which ``record_staff_echo``
# takes); named parameters: session_tok, chat_id, message_id, within.
STAFF_ECHO_CANDIDATES = """
    SELECT content, message_id, message_timestamp, id, 1, 1,
           array_remove(ARRAY[echo_message_id], NULL), false, false
      FROM (SELECT id, content, message_id, message_timestamp, echo_message_id FROM chat_messages
             WHERE user_token = %(session_tok)s AND message_id = %(message_id)s AND sent_by IS NOT NULL
            UNION
            SELECT id, content, message_id, message_timestamp, echo_message_id FROM chat_messages
             WHERE chat_room_id = (SELECT id FROM chat_rooms
                                    WHERE chat_id = %(chat_id)s AND user_token = %(session_tok)s)
               AND message_timestamp >= now() - %(within)s AND sent_by IS NOT NULL) AS staff
"""


# The echo of a staff reply arrived (named parameters: message_id, echo_row: the history row); the first one taken
# counts. It proves the reply went out: one whose send had no answer (unconfirmed) is sent. ``{guard}`` adds a
# condition (a statement that stores the echo too).
_RECORD_STAFF_ECHO = """
    UPDATE chat_messages SET echo_message_id = COALESCE(echo_message_id, %(message_id)s),
                             status = CASE WHEN status = %(unconfirmed)s THEN %(sent)s ELSE status END,
                             updated_at = now()
     WHERE id = %(echo_row)s{guard}
    RETURNING chat_room_id
"""
# The echoed staff reply changed: its room moves too (the page polls rooms' changes). One more CTE of that statement.
STAMP_ECHOED_ROOM = "UPDATE chat_rooms SET updated_at = now() WHERE id IN (SELECT chat_room_id FROM echo)"


def record_staff_echo_statement(*, guard: str = "") -> str:
    return _RECORD_STAFF_ECHO.format(guard=guard)


def record_staff_echo_params(row_id: int, *, message_id: str) -> dict:
    return {"message_id": message_id, "echo_row": row_id, "unconfirmed": UNCONFIRMED, "sent": DeliveryStatus.SENT.value}


def record_staff_echo(cur: Cursor, row_id: int, *, message_id: str) -> None:
    """The gateway's echo of this staff reply arrived as ``message_id`` (the first one taken counts)."""
    cur.execute(record_staff_echo_statement(), record_staff_echo_params(row_id, message_id=message_id))
