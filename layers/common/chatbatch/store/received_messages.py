"""SQL that stores one received message in one statement: its row in ai_chat_messages (the dedupe), its room in
chat_rooms and its row in chat_messages, each written by its table's own SQL (the modules of those tables).

One data-modifying statement is one implicit transaction: the three rows are written together or not at all, in
one round trip and without BEGIN/COMMIT (``Database.statements``). A retried message inserts nothing anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import psycopg2.errors

from chatbatch.db import Cursor, PreparedStatement
from chatbatch.domain.messages import IncomingMessage
from chatbatch.domain.takeover import SentReply
from chatbatch.store import ai_chat_messages, chat_messages, chat_rooms, reply_parts, tenant_settings

_STORE = """
    WITH stored AS ({stored}),
         room AS ({room}),
         history AS ({history})
    SELECT (SELECT id FROM room) FROM stored
"""


def _statement(*, asks_tenant: bool) -> PreparedStatement:
    needs_reply = "%(with_groups)s::boolean"
    if asks_tenant:
        groups = tenant_settings.effective_sql(
            "ai_reply_groups", tenant="%(session_tok)s", default="%(groups)s::boolean"
        )
        needs_reply = f"CASE WHEN {groups} THEN %(with_groups)s::boolean ELSE %(without_groups)s::boolean END"
    sql = _STORE.format(
        stored=ai_chat_messages.insert_statement(needs_reply=needs_reply),
        room=chat_rooms.upsert_statement(at="stored.message_timestamp", source="FROM stored"),
        history=chat_messages.insert_statement(
            room="(SELECT id FROM room)", at="stored.message_timestamp", source="FROM stored"
        ),
    )
    return PreparedStatement(f"chatbatch_store_received{'_asking_tenant' if asks_tenant else ''}", sql)


# Planning this statement costs as much as running it: each connection plans it once. A message whose reply depends
# on the tenant's own groups switch (a customer's group message) reads it in the same statement.
_STATEMENTS = {asks: _statement(asks_tenant=asks) for asks in (False, True)}


@dataclass(frozen=True)
class FromBusiness:
    """What decides how a ``from_me`` message is stored: whether it is stored already, the database's now, and the
    reply parts and staff replies of its chat it may be the echo of."""

    stored: bool
    now: datetime
    parts: list[SentReply]
    staff_replies: list[SentReply]


_FROM_BUSINESS = f"""
    SELECT clock.now, clock.stored, c.*
      FROM (SELECT now() AS now,
                   EXISTS (SELECT 1 FROM ai_chat_messages
                            WHERE session_tok = %(session_tok)s AND message_id = %(message_id)s) AS stored) AS clock
      LEFT JOIN (SELECT 'part' AS kind, p.* FROM ({reply_parts.ECHO_CANDIDATES}) AS p
                 UNION ALL
                 SELECT 'staff', s.* FROM ({chat_messages.STAFF_ECHO_CANDIDATES}) AS s) AS c ON true
"""


def from_business(cur: Cursor, msg: IncomingMessage, *, within: timedelta) -> FromBusiness:
    """One read for a ``from_me`` message: stored already? and what it may echo (parts or staff replies handed over
    ``within`` before now, or carrying its id)."""
    cur.execute(
        _FROM_BUSINESS,
        {
            "session_tok": msg.tenant,
            "chat_jid": msg.chat_jid,
            "chat_id": msg.chat_id,
            "message_id": msg.message_id,
            "within": within,
            **reply_parts.echo_candidate_params(msg.message_id),
        },
    )
    rows = cur.fetchall()
    candidates: dict[str, list[SentReply]] = {"part": [], "staff": []}
    for row in rows:
        if row[2] is not None:
            candidates[row[2]].append(SentReply(*row[3:9], tuple(row[9]), *row[10:]))
    return FromBusiness(rows[0][1], rows[0][0], candidates["part"], candidates["staff"])


@dataclass(frozen=True)
class Received:
    """What storing a message did. ``stored``: all three rows written (``room_id``: its room); ``duplicate``: the
    session had the message already, nothing written; ``room_key_taken``: the room's key belongs to another session
    (a legacy row), nothing written."""

    outcome: Literal["stored", "duplicate", "room_key_taken"]
    room_id: int | None = None


@dataclass(frozen=True)
class Replying:
    """Whether the message waits for the bot's reply, with the groups switch on and off; when the two differ (a
    customer's group message), the tenant's own ``ai_reply_groups`` decides, else ``groups`` (the environment's)."""

    with_groups: bool
    without_groups: bool
    groups: bool


def store(cur: Cursor, msg: IncomingMessage, *, replying: Replying, human: bool) -> Received:
    """Store ``msg`` with its room and its history row, in one statement. ``human``: a human on the business side
    wrote it (its room's takeover clock restarts)."""
    params = {
        **ai_chat_messages.insert_params(msg),
        **chat_rooms.upsert_params(
            chat_id=msg.chat_id,
            tenant=msg.tenant,
            contact_jid=msg.chat_jid,
            contact_name=msg.contact_name,
            is_group=msg.is_group,
            content=msg.body,
            sender_type=msg.sender_type,
            unread_increment=0 if msg.from_me else 1,
            human=human,
        ),
        **chat_messages.insert_params(
            message_id=msg.message_id,
            chat_id=msg.chat_id,
            tenant=msg.tenant,
            sender_jid=msg.sender_jid,
            sender_type=msg.sender_type,
            message_type=msg.message_type,
            content=msg.body,
            status="sent" if msg.from_me else "received",
            reply_to_message_id=msg.reply_to_message_id,
        ),
        "with_groups": replying.with_groups,
        "without_groups": replying.without_groups,
    }
    asks_tenant = replying.with_groups != replying.without_groups
    if asks_tenant:
        params["groups"] = replying.groups
    try:
        _STATEMENTS[asks_tenant].execute(cur, params)
    except psycopg2.errors.NotNullViolation as exc:
        if exc.diag.table_name != "chat_messages" or exc.diag.column_name != "chat_room_id":
            raise
        # The room upsert moved nothing (another session's room has this key), so the history row had no room:
        # the statement failed as a whole, nothing is written.
        return Received("room_key_taken")
    row = cur.fetchone()
    return Received("duplicate") if row is None else Received("stored", row[0])


_STORE_ECHO = """
    WITH stored AS ({stored}),
         echo AS ({record}){more}
    SELECT count(*) FROM stored
"""


def store_echo(cur: Cursor, msg: IncomingMessage, reply: SentReply, *, of_staff: bool) -> bool:
    """Store ``msg``, the echo of ``reply`` (a staff reply, else a part of the bot's reply), in ai_chat_messages
    only (the history has the message already) and record it as the reply's echo, in one statement; False when the
    session had the message already (nothing written)."""
    guard = " AND EXISTS (SELECT 1 FROM stored)"
    if of_staff:
        record = chat_messages.record_staff_echo_statement(guard=guard)
        params = chat_messages.record_staff_echo_params(reply.job_id, message_id=msg.message_id)
    else:
        record = reply_parts.record_echo_statement(guard=guard)
        params = reply_parts.record_echo_params(reply.job_id, reply.position, message_id=msg.message_id)
    stored = ai_chat_messages.insert_statement(needs_reply="false")
    more = f",\n         stamped AS ({chat_messages.STAMP_ECHOED_ROOM})" if of_staff else ""
    cur.execute(
        _STORE_ECHO.format(stored=stored, record=record, more=more), {**ai_chat_messages.insert_params(msg), **params}
    )
    return cur.fetchone()[0] == 1
