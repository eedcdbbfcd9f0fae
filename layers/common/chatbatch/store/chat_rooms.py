"""SQL for chat_rooms: one permanent history room per chat (session token + remote JID)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatbatch.db import Cursor

# The room's move for one message (named parameters, cast so a prepared statement knows their types: chat_id,
# user_token, contact_jid, contact_name, is_group, content, sender_type, unread, human; and the message's time,
# ``{at}``, from ``{source}``). ``last_*`` follow the newest message by its own time, so a late, older message (a
# gateway retry) never rewinds them; the contact name follows the latest non-empty push name; ``human``: a human
# on the business side wrote it (the takeover clock restarts). A room whose key belongs to another tenant is never
# moved: no row comes back then.
_UPSERT = """
    INSERT INTO chat_rooms AS r
        (chat_id, user_token, contact_jid, contact_name, chat_type, is_group,
         last_message, last_sender, last_activity, unread_count, human_active_at)
    SELECT %(chat_id)s::text, %(user_token)s::text, %(contact_jid)s::text, %(contact_name)s::text,
           CASE WHEN %(is_group)s::boolean THEN 'group' ELSE 'individual' END, %(is_group)s::boolean,
           %(content)s::text, %(sender_type)s::text, {at}, %(unread)s::integer,
           CASE WHEN %(human)s::boolean THEN now() END
      {source}
    ON CONFLICT (chat_id) DO UPDATE SET
        last_message    = CASE WHEN EXCLUDED.last_activity >= r.last_activity
                               THEN EXCLUDED.last_message ELSE r.last_message END,
        last_sender     = CASE WHEN EXCLUDED.last_activity >= r.last_activity
                               THEN EXCLUDED.last_sender ELSE r.last_sender END,
        last_activity   = GREATEST(r.last_activity, EXCLUDED.last_activity),
        contact_name    = COALESCE(EXCLUDED.contact_name, r.contact_name),
        unread_count    = r.unread_count + EXCLUDED.unread_count,
        human_active_at = COALESCE(EXCLUDED.human_active_at, r.human_active_at),
        updated_at      = now()
    WHERE r.user_token = EXCLUDED.user_token  -- a room is only ever moved by its own tenant
    RETURNING id
"""


def upsert_statement(*, at: str, source: str) -> str:
    """The room upsert of one message whose time is the SQL expression ``at`` over ``source`` (a FROM clause), for
    a statement that writes the message too (store/received_messages.py)."""
    return _UPSERT.format(at=at, source=source)


def upsert_params(
    *,
    chat_id: str,
    tenant: str,
    contact_jid: str,
    contact_name: str | None,
    is_group: bool,
    content: str,
    sender_type: str,
    unread_increment: int,
    human: bool = False,
) -> dict:
    return {
        "chat_id": chat_id,
        "user_token": tenant,
        "contact_jid": contact_jid,
        "contact_name": contact_name,
        "is_group": is_group,
        "content": content,
        "sender_type": sender_type,
        "unread": unread_increment,
        "human": human,
    }


def upsert_for_message(cur: Cursor, *, at: datetime, **room) -> int | None:
    """Create the room on its first message, else move it forward (``upsert_params`` names the fields); the room
    id, or None when the room's key belongs to another tenant (nothing moved: the caller decides what that means)."""
    cur.execute(upsert_statement(at="%(at)s::timestamptz", source=""), {**upsert_params(**room), "at": at})
    row = cur.fetchone()
    return row[0] if row else None


def mark_human_active(cur: Cursor, room_id: int) -> None:
    """A human on the business side wrote in the room just now (the takeover clock restarts)."""
    cur.execute("UPDATE chat_rooms SET human_active_at = now(), updated_at = now() WHERE id = %s", (room_id,))


def human_active_at(cur: Cursor, *, chat_id: str, tenant: str) -> tuple[datetime | None, datetime]:
    """When a human on the business side last wrote in the chat (None: never), and the database's now."""
    cur.execute(
        "SELECT (SELECT human_active_at FROM chat_rooms WHERE chat_id = %s AND user_token = %s), now()",
        (chat_id, tenant),
    )
    return cur.fetchone()


def mark_read(cur: Cursor, *, room_id: int, tenant: str) -> bool:
    """Set the room's unread count to 0; False when the tenant has no such room (another tenant's included)."""
    cur.execute(
        """
        UPDATE chat_rooms SET unread_count = 0, updated_at = now()
         WHERE id = %s AND user_token = %s
        RETURNING id
        """,
        (room_id, tenant),
    )
    return cur.fetchone() is not None


@dataclass(frozen=True)
class BotState:
    """What decides, for one chat, whether the bot may answer now (besides the tenant's settings)."""

    human_active_at: datetime | None  # a human on the business side last wrote then (takeover)
    bot_paused: bool  # an operator paused the bot in this chat
    away_sent_for: datetime | None  # the closed period the away message was last sent for
    now: datetime  # the database's clock


def bot_state(cur: Cursor, *, chat_id: str, tenant: str) -> BotState:
    """The chat's takeover clock, pause and away-message mark, and the database's now: one row, always."""
    cur.execute(
        """
        SELECT r.human_active_at, COALESCE(r.bot_paused_at IS NOT NULL, false), r.away_sent_for, clock.now
          FROM (SELECT now() AS now) AS clock
          LEFT JOIN chat_rooms AS r ON r.chat_id = %s AND r.user_token = %s
        """,
        (chat_id, tenant),
    )
    return BotState(*cur.fetchone())


def set_bot_paused(cur: Cursor, *, room_id: int, tenant: str, paused: bool, by: str) -> bool:
    """Pause (until resumed) or resume the bot in the tenant's room; False when the tenant has no such room.
    Pausing an already paused room keeps when and by whom it was first paused."""
    cur.execute(
        """
        UPDATE chat_rooms
           SET bot_paused_at = CASE WHEN %(paused)s THEN COALESCE(bot_paused_at, now()) END,
               bot_paused_by = CASE WHEN %(paused)s THEN COALESCE(bot_paused_by, %(by)s) END,
               updated_at = now()
         WHERE id = %(room)s AND user_token = %(tenant)s
        RETURNING id
        """,
        {"paused": paused, "by": by, "room": room_id, "tenant": tenant},
    )
    return cur.fetchone() is not None


def claim_away_message(cur: Cursor, *, chat_id: str, tenant: str, closed_since: datetime) -> bool:
    """Take the chat's one away message of the closed period that began at ``closed_since``: True for the first
    caller of the period, False when the chat already had it (the row lock orders concurrent callers)."""
    cur.execute(
        """
        UPDATE chat_rooms SET away_sent_for = %(period)s
         WHERE chat_id = %(chat)s AND user_token = %(tenant)s AND away_sent_for IS DISTINCT FROM %(period)s
        RETURNING id
        """,
        {"period": closed_since, "chat": chat_id, "tenant": tenant},
    )
    return cur.fetchone() is not None
