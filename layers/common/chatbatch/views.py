"""Read-only queries of the chat history for the dashboard (the read side; writes live in ``store/``).

Every query is scoped by the tenant (``user_token``), and the keyset orders are exactly those of the indexes
``chat_rooms_tenant_activity (user_token, last_activity DESC, id DESC)`` and
``chat_messages_room_time (chat_room_id, message_timestamp DESC, id DESC)``: a page deep in a list costs what
the first page costs (one index range scan of ``limit + 1`` rows, no OFFSET).

The first page and the next ones share one statement: psycopg2 sends the cursor's values as literals, so
the planner folds ``NULL IS NULL`` away on a first page and turns the row comparison into the index
condition on the others (tests/history/test_query_plans.py checks both plans).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatbatch.db import Cursor
from chatbatch.domain.paging import PageKey
from chatbatch.domain.room_search import RoomSearch
from chatbatch.store import reply_parts

Row = dict[str, Any]

_ROOM_COLUMNS = """id, chat_id, contact_jid, contact_name, chat_type, is_group,
                   last_message, last_sender, last_activity, unread_count, bot_paused_at IS NOT NULL AS bot_paused"""
# A message as the API shows it, with its current reactions (an emptied one was taken back), read through
# message_reactions' unique index.
_MESSAGE_COLUMNS = """id, message_id, sender_type, sender_jid, message_type, content, status, status_error,
                      reply_to_message_id, deleted_at, message_timestamp AS "timestamp", sent_by,
                      (SELECT COALESCE(json_agg(json_build_object('emoji', r.emoji, 'sender_jid', r.sender_jid,
                                                                  'from_me', r.from_me) ORDER BY r.reacted_at, r.id),
                                       '[]')
                         FROM message_reactions r
                        WHERE r.user_token = chat_messages.user_token AND r.message_id = chat_messages.message_id
                          AND r.emoji <> '') AS reactions"""
_JOB_COLUMNS = f"""j.id, j.status, j.batch_size, j.attempts, j.error, j.reply, j.created_at, j.completed_at,
                  j.last_message_at, j.retry_of,
                  (SELECT r.id FROM ai_jobs r WHERE r.retry_of = j.id) AS retried_by,
                  {reply_parts.handed_over_sql("j.id")} AS parts_handed_over"""


def rooms_page(
    cur: Cursor, *, tenant: str, after: PageKey | None, size: int, search: RoomSearch | None = None
) -> list[Row]:
    """Up to ``size`` rooms of the tenant, newest activity first, strictly after ``after``; with ``search``,
    only rooms whose contact name or number contains it (read along the same index, filtered)."""
    cur.execute(
        f"""
        SELECT {_ROOM_COLUMNS} FROM chat_rooms
         WHERE user_token = %(tenant)s
           AND (%(after_at)s::timestamptz IS NULL OR (last_activity, id) < (%(after_at)s, %(after_id)s))
           AND (%(name)s::text IS NULL OR contact_name ILIKE %(name)s OR contact_jid LIKE %(number)s)
         ORDER BY last_activity DESC, id DESC
         LIMIT %(size)s
        """,
        _keyset(after)
        | {"tenant": tenant, "size": size}
        | {"name": search.name_pattern if search else None, "number": search.number_pattern if search else None},
    )
    return _rows(cur)


def room(cur: Cursor, *, tenant: str, room_id: int) -> Row | None:
    """The tenant's room, or None (also when the id is another tenant's room)."""
    cur.execute(f"SELECT {_ROOM_COLUMNS} FROM chat_rooms WHERE id = %s AND user_token = %s", (room_id, tenant))
    rows = _rows(cur)
    return rows[0] if rows else None


def messages_page(cur: Cursor, *, tenant: str, room_id: int, before: PageKey | None, size: int) -> list[Row]:
    """Up to ``size`` messages of the room, newest first, strictly older than ``before``."""
    cur.execute(
        f"""
        SELECT {_MESSAGE_COLUMNS} FROM chat_messages
         WHERE chat_room_id = %(room)s AND user_token = %(tenant)s
           AND (%(after_at)s::timestamptz IS NULL
                OR (message_timestamp, id) < (%(after_at)s, %(after_id)s))
         ORDER BY message_timestamp DESC, id DESC
         LIMIT %(size)s
        """,
        _keyset(before) | {"tenant": tenant, "room": room_id, "size": size},
    )
    return _rows(cur)


def rooms_changed_since(cur: Cursor, *, tenant: str, since: datetime, size: int) -> list[Row]:
    """Up to ``size`` of the tenant's rooms stamped after ``since``, most recent first: one range scan of
    ``chat_rooms_tenant_changes (user_token, updated_at)``, whose stamps a trigger keeps (migration 0005)."""
    cur.execute(
        f"""
        SELECT {_ROOM_COLUMNS} FROM chat_rooms
         WHERE user_token = %(tenant)s AND updated_at > %(since)s
         ORDER BY updated_at DESC
         LIMIT %(size)s
        """,
        {"tenant": tenant, "since": since, "size": size},
    )
    return _rows(cur)


def jobs_page(cur: Cursor, *, tenant: str, chat_jid: str, before: PageKey | None, size: int) -> list[Row]:
    """Up to ``size`` of the chat's jobs, newest first (by id: the order they were made), older than ``before``."""
    cur.execute(
        f"""
        SELECT {_JOB_COLUMNS} FROM ai_jobs j
         WHERE j.session_tok = %(tenant)s AND j.chat_jid = %(chat)s
           AND (%(after_id)s::bigint IS NULL OR j.id < %(after_id)s)
         ORDER BY j.id DESC
         LIMIT %(size)s
        """,
        _keyset(before) | {"tenant": tenant, "chat": chat_jid, "size": size},
    )
    return _rows(cur)


def job(cur: Cursor, *, tenant: str, job_id: int) -> Row | None:
    """The tenant's job, or None (also when the id is another tenant's job)."""
    cur.execute(f"SELECT {_JOB_COLUMNS} FROM ai_jobs j WHERE j.id = %s AND j.session_tok = %s", (job_id, tenant))
    rows = _rows(cur)
    return rows[0] if rows else None


def message(cur: Cursor, *, tenant: str, row_id: int) -> Row:
    cur.execute(f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages WHERE id = %s AND user_token = %s", (row_id, tenant))
    return _rows(cur)[0]


def _keyset(key: PageKey | None) -> dict[str, Any]:
    return {"after_at": key.at if key else None, "after_id": key.id if key else None}


def _rows(cur: Cursor) -> list[Row]:
    names = [column.name for column in cur.description]
    return [dict(zip(names, values)) for values in cur.fetchall()]
