"""SQL for ai_chat_messages: the AI's working set of every message the webhook received."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chatbatch.db import Cursor, transaction_time
from chatbatch.domain.debounce import Bubble, DebounceRule, PendingChat
from chatbatch.domain.messages import IncomingMessage
from chatbatch.domain.prompt import ChatLine

# One received message (named parameters: session_tok, from, to, chat_jid, participant, body, push_name,
# message_id, message_type, from_me, is_group, timestamp; whether it waits for a reply is the SQL ``{needs_reply}``).
# Stored once per (session, message id): a retry inserts nothing and returns no row. Its time is the gateway's, but
# never later than its arrival (a clock in the future cannot pin the room).
_INSERT = """
    INSERT INTO ai_chat_messages
        (session_tok, "from", "to", chat_jid, participant, body, push_name, message_id,
         message_type, from_me, is_group, needs_reply, message_timestamp)
    VALUES (%(session_tok)s, %(from)s, %(to)s, %(chat_jid)s, %(participant)s, %(body)s, %(push_name)s,
            %(message_id)s, %(message_type)s, %(from_me)s, %(is_group)s, {needs_reply},
            LEAST(COALESCE(%(timestamp)s, now()), now()))
    ON CONFLICT (session_tok, message_id) DO NOTHING
    RETURNING id, message_timestamp
"""


def insert_statement(*, needs_reply: str) -> str:
    """The insert of one received message, for a statement that goes on with what it stored
    (store/received_messages.py); ``needs_reply`` is an SQL expression."""
    return _INSERT.format(needs_reply=needs_reply)


def insert_params(msg: IncomingMessage) -> dict:
    return {
        "session_tok": msg.tenant,
        "from": msg.from_jid,
        "to": msg.to_jid,
        "chat_jid": msg.chat_jid,
        "participant": msg.participant,
        "body": msg.body,
        "push_name": msg.push_name,
        "message_id": msg.message_id,
        "message_type": msg.message_type,
        "from_me": msg.from_me,
        "is_group": msg.is_group,
        "timestamp": msg.message_timestamp,
    }


def insert(cur: Cursor, msg: IncomingMessage, *, needs_reply: bool) -> tuple[int, datetime] | None:
    """Insert the message; ``(id, its time)``, or None when (session, message id) is already stored."""
    cur.execute(insert_statement(needs_reply="%(needs_reply)s"), {**insert_params(msg), "needs_reply": needs_reply})
    row = cur.fetchone()
    return (row[0], row[1]) if row else None


# --- the debounce sweep -------------------------------------------------------------------------------------
# Pending = needs_reply AND NOT is_batched: exactly the predicate of the partial index ai_chat_messages_pending,
# so these statements read the pending bubbles only, whatever the size of the history.

# Two-key advisory locks live apart from the one-key lock of migrations; this key names the sweeper's space.
_CHAT_LOCK_SPACE = 73_120_002
# A chat is locked through its slot (a hash of the chat, CHAT_LOCK_SLOTS of them), not on its own: one advisory
# lock per ready chat would take 10,000 entries of the server's lock table for 10,000 ready chats, and that table
# holds max_locks_per_transaction (64) x connections in all (about 6,400 with 100 connections): "out of shared
# memory". Chats sharing a slot are batched by the same sweep; a sweep holds at most CHAT_LOCK_SLOTS locks.
CHAT_LOCK_SLOTS = 1024


def lock_ready_chats(cur: Cursor, rule: DebounceRule, *, limit: int) -> list[tuple[str, str]]:
    """Chats ready on the database's clock, longest waiting first, at most ``limit``, that no other sweep is
    batching: each returned chat's advisory lock is held until this transaction ends (``ready_chats``, all locked)."""
    return ready_chats(cur, rule, limit=limit, lock_first=limit)[0]


def ready_chats(
    cur: Cursor, rule: DebounceRule, *, limit: int, lock_first: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Chats ready on the database's clock, longest waiting first, at most ``limit``: (the first ``lock_first`` of
    them that no other sweep is batching, each one's advisory lock now held until this transaction ends; the ready
    chats after those, not locked: a later transaction takes them with ``lock_chats``).

    Each chat is judged by its tenant's own windows and cap (tenant_settings), each one falling back to
    ``rule`` (the environment's) where the tenant set none: ``DebounceRule.readiness`` with
    ``tenant_settings.effective``, in SQL (tests/sweeper/test_ready_rule_sql.py checks the two agree). The
    settings are joined to the pending chats, not to the bubbles: a sweep reads one settings row per tenant with
    a ready candidate.

    A chat another sweep holds is skipped (that sweep makes its job), never waited for. The lock is per chat (its
    slot), not per row, so two sweeps can never split one chat's burst between them.
    """
    cur.execute(
        """
        WITH pending AS (
            SELECT session_tok, chat_jid, min(last_activity) AS oldest, max(last_activity) AS newest, count(*) AS n
            FROM ai_chat_messages
            WHERE needs_reply AND NOT is_batched
            GROUP BY session_tok, chat_jid
        ), ready AS MATERIALIZED (
            SELECT p.session_tok, p.chat_jid, row_number() OVER (ORDER BY p.oldest) AS position
            FROM pending p
            LEFT JOIN tenant_settings t ON t.session_tok = p.session_tok
            WHERE p.newest <= now() - make_interval(secs => COALESCE(t.debounce_seconds, %(debounce_seconds)s))
               OR p.oldest <= now() - make_interval(secs => COALESCE(t.max_wait_seconds, %(max_wait_seconds)s))
               OR p.n >= COALESCE(t.max_batch_messages, %(max_batch_messages)s)
            ORDER BY p.oldest
            LIMIT %(limit)s
        )
        SELECT session_tok, chat_jid, position <= %(lock_first)s
        FROM ready
        WHERE CASE WHEN position <= %(lock_first)s  -- CASE: only these try their lock
                   THEN pg_try_advisory_xact_lock(%(lock_space)s, hashtext(session_tok || chr(31) || chat_jid)
                                                                  & %(slot_mask)s)
                   ELSE true END
        ORDER BY position
        """,
        {
            "slot_mask": CHAT_LOCK_SLOTS - 1,
            "debounce_seconds": rule.debounce_seconds,
            "max_wait_seconds": rule.max_wait_seconds,
            "max_batch_messages": rule.max_batch_messages,
            "limit": limit,
            "lock_first": lock_first,
            "lock_space": _CHAT_LOCK_SPACE,
        },
    )
    rows = cur.fetchall()
    return [(tok, jid) for tok, jid, locked in rows if locked], [(tok, jid) for tok, jid, locked in rows if not locked]


def lock_chats(cur: Cursor, chats: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Of ``chats`` (found ready by ``ready_chats`` in an earlier transaction), those no other sweep is batching,
    in the given order: each one's advisory lock (its slot) is now held until this transaction ends. Whether each
    is still ready is for the re-check under the lock (``pending_chats``)."""
    cur.execute(
        """
        SELECT session_tok, chat_jid
        FROM unnest(%(toks)s::text[], %(jids)s::text[]) WITH ORDINALITY AS c (session_tok, chat_jid, position)
        WHERE pg_try_advisory_xact_lock(%(lock_space)s, hashtext(session_tok || chr(31) || chat_jid) & %(slot_mask)s)
        ORDER BY position
        """,
        {
            "toks": [tok for tok, _ in chats],
            "jids": [jid for _, jid in chats],
            "lock_space": _CHAT_LOCK_SPACE,
            "slot_mask": CHAT_LOCK_SLOTS - 1,
        },
    )
    return [(row[0], row[1]) for row in cur.fetchall()]


def pending_chats(cur: Cursor, chats: list[tuple[str, str]]) -> tuple[datetime, list[PendingChat]]:
    """The database's now() and the pending bubbles of ``chats``, in arrival order.

    Run after ``ready_chats`` or ``lock_chats`` in the same transaction: this statement's snapshot is taken after
    the locks were granted, so it sees everything a sweep that held one of these chats before us committed.
    """
    cur.execute(
        """
        SELECT now(), m.session_tok, m.chat_jid,
               array_agg(m.id ORDER BY m.id), array_agg(m.last_activity ORDER BY m.id)
        FROM ai_chat_messages m
        JOIN unnest(%s::text[], %s::text[]) AS c (session_tok, chat_jid)
          ON m.session_tok = c.session_tok AND m.chat_jid = c.chat_jid
        WHERE m.needs_reply AND NOT m.is_batched
        GROUP BY m.session_tok, m.chat_jid
        """,
        ([tenant for tenant, _ in chats], [jid for _, jid in chats]),
    )
    rows = cur.fetchall()
    if not rows:
        return transaction_time(cur), []
    pending = [
        PendingChat(tenant, jid, tuple(Bubble(i, at) for i, at in zip(ids, arrivals)))
        for _, tenant, jid, ids, arrivals in rows
    ]
    return rows[0][0], pending


# --- the worker: a job's bubbles as the prompt's newest user turn --------------------------------------------


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
