"""Context: the worker's context query (a chat's last messages before its burst, store/chat_messages.py ``recent``)
on a chat of 100 messages (a tenant of its own) and on a chat of 100,000 (another tenant), same database,
interleaved.

The query reads the room's index (chat_messages_room_time) from its newest end, so its time follows the context
size (HISTORY_CONTEXT_MESSAGES, 20, + the burst), not the history: the ratio should stay near 1x (issue 13 asks
for at most 1.2x). tests/worker/test_context_query_plan.py pins the plan.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import psycopg2
from chatbatch.domain.chats import Chat
from chatbatch.store import chat_messages

from bench.report import median, percentile, print_table, ratio

CONTEXT = 20 + 3  # the default HISTORY_CONTEXT_MESSAGES and a burst of three


def add_chat(cur, tenant: str, jid: str, messages: int) -> str:
    """A room of ``messages`` messages, one a minute, contact and ai turns alternating; its chat id."""
    chat = Chat(tenant, jid).room_key
    cur.execute(
        """
        INSERT INTO chat_rooms (chat_id, user_token, contact_jid, chat_type, last_activity)
        VALUES (%s, %s, %s, 'individual', now()) RETURNING id
        """,
        (chat, tenant, jid),
    )
    room = cur.fetchone()[0]
    cur.execute(
        """
        INSERT INTO chat_messages (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,
                                   content, message_timestamp, created_at)
        SELECT %(chat)s || '-' || g, %(room)s, %(chat)s, %(tenant)s, %(jid)s,
               CASE WHEN g %% 2 = 0 THEN 'contact' ELSE 'ai' END, 'message ' || g, t, t
          FROM generate_series(1, %(n)s) AS g,
               LATERAL (SELECT now() - make_interval(mins => %(n)s - g + 1) AS t) AS at
        """,
        {"chat": chat, "room": room, "tenant": tenant, "jid": jid, "n": messages},
    )
    return chat


def run(ctx) -> None:
    small, large = 100, ctx.scale(100_000, 30_000)
    runs = ctx.scale(400, 40)
    tenant = f"context-{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(ctx.database_url)
    try:
        with conn.cursor() as cur:
            tenants = {small: f"{tenant}-s", large: f"{tenant}-l"}
            chats = {size: add_chat(cur, tenants[size], "6281100000001@s.whatsapp.net", size) for size in tenants}
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE chat_rooms, chat_messages")
        conn.autocommit = False
        arrived_by = datetime.now(UTC)
        times: dict[int, list[float]] = {small: [], large: []}
        with conn.cursor() as cur:
            for n in range(runs):
                for size in (small, large) if n % 2 == 0 else (large, small):  # interleaved, alternating order
                    started = time.perf_counter()
                    lines = chat_messages.recent(
                        cur, chat_id=chats[size], tenant=tenants[size], limit=CONTEXT, arrived_by=arrived_by
                    )
                    times[size].append((time.perf_counter() - started) * 1000)
                    assert len(lines) == CONTEXT and lines[-1].content == f"message {size}", lines[-1]
        conn.rollback()
        with conn.cursor() as cur:
            for owner in tenants.values():
                cur.execute("DELETE FROM chat_messages WHERE user_token = %s", (owner,))
                cur.execute("DELETE FROM chat_rooms WHERE user_token = %s", (owner,))
        conn.commit()
    finally:
        conn.close()
    print_table(
        f"Worker context query: the last {CONTEXT} messages of a chat (ms; {runs} runs each, interleaved)",
        ["chat's history", "p50", "p99", f"p50 vs {small} messages"],
        [
            [
                f"{size:,} messages",
                median(times[size]),
                percentile(times[size], 99),
                ratio(median(times[size]), median(times[small])),
            ]
            for size in (small, large)
        ],
    )
