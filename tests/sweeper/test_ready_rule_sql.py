"""The SQL readiness (lock_ready_chats, on the database's clock) and the pure rule agree, boundaries included."""

from __future__ import annotations

import random
from datetime import timedelta

import psycopg2
import pytest
from chatbatch.domain.debounce import Bubble, DebounceRule, PendingChat
from chatbatch.domain.tenant_settings import effective
from chatbatch.store import ai_chat_messages


def insert_bubbles(cur, tenant: str, jid: str, ages_ms: list[int]) -> None:
    """Pending bubbles of one chat that arrived ``ages_ms`` before the transaction's now()."""
    for n, age in enumerate(ages_ms):
        cur.execute(
            """INSERT INTO ai_chat_messages (session_tok, "from", "to", chat_jid, message_id,
                                             needs_reply, message_timestamp, last_activity)
               VALUES (%s, %s, 'me', %s, %s, true, now(), now() - make_interval(secs => %s))""",
            (tenant, jid, jid, f"{jid}-{n}", age / 1000),
        )


@pytest.mark.parametrize("seed", range(3))
def test_sql_and_pure_rule_pick_the_same_ready_chats(database_url, tenant, seed):
    rng = random.Random(seed)
    rule = DebounceRule(debounce_seconds=3, max_wait_seconds=30, max_batch_messages=rng.choice([4, 50]))
    # Ages in whole milliseconds, clustered around the three thresholds so the edges are exercised.
    near = [0, 1, 2999, 3000, 3001, 29_999, 30_000, 30_001]
    chats = {
        f"62{n:010d}@s.whatsapp.net": sorted(
            {rng.choice([*near, rng.randint(0, 40000)]) for _ in range(rng.randint(1, 6))}, reverse=True
        )
        for n in range(60)
    }
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:  # one transaction: now() is the same instant for the inserts and the sweep
            for jid, ages_ms in chats.items():
                insert_bubbles(cur, tenant, jid, ages_ms)
            cur.execute("SELECT now()")
            now = cur.fetchone()[0]

            locked = ai_chat_messages.lock_ready_chats(cur, rule, limit=100_000)

        sql_ready = {jid for tok, jid in locked if tok == tenant}
        pure_ready = {
            jid
            for jid, ages_ms in chats.items()
            if rule.next_batch(
                PendingChat(
                    tenant,
                    jid,
                    tuple(Bubble(i, now - timedelta(milliseconds=age)) for i, age in enumerate(ages_ms)),
                ),
                now,
            )
            is not None
        }
        assert 0 < len(pure_ready) < len(chats)  # the case mixes ready and waiting chats
        assert sql_ready == pure_ready
    finally:
        conn.rollback()
        conn.close()


@pytest.mark.parametrize("seed", range(3))
def test_each_tenant_is_judged_by_its_own_windows_in_sql_as_in_the_pure_rule(database_url, tenant, seed):
    """Three tenants in one sweep: two with their own windows and cap (one of them overriding only some), one on
    the environment's defaults. SQL (COALESCE over tenant_settings) and the pure rule with ``effective`` agree."""
    rng = random.Random(100 + seed)
    default = DebounceRule(debounce_seconds=3, max_wait_seconds=30, max_batch_messages=50)
    tenants = {
        f"{tenant}-a": {"debounce_seconds": 1.5, "max_wait_seconds": 10.0, "max_batch_messages": 3},
        f"{tenant}-b": {"debounce_seconds": 8.0, "max_wait_seconds": None, "max_batch_messages": None},
        f"{tenant}-c": None,  # no tenant_settings row: the defaults
    }
    near = [0, 1, 1499, 1500, 1501, 2999, 3000, 3001, 7999, 8000, 8001, 9999, 10_000, 10_001, 29_999, 30_000, 30_001]
    chats = {
        (tok, f"62{n:010d}@s.whatsapp.net"): sorted(
            {rng.choice([*near, rng.randint(0, 40000)]) for _ in range(rng.randint(1, 5))}, reverse=True
        )
        for tok in tenants
        for n in range(40)
    }
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            for tok, own in tenants.items():
                if own is not None:
                    cur.execute(
                        "INSERT INTO tenant_settings (session_tok, debounce_seconds, max_wait_seconds, "
                        "max_batch_messages) VALUES (%s, %s, %s, %s)",
                        (tok, own["debounce_seconds"], own["max_wait_seconds"], own["max_batch_messages"]),
                    )
            for (tok, jid), ages_ms in chats.items():
                insert_bubbles(cur, tok, jid, ages_ms)
            cur.execute("SELECT now()")
            now = cur.fetchone()[0]

            locked = ai_chat_messages.lock_ready_chats(cur, default, limit=100_000)

        sql_ready = {chat for chat in locked if chat[0] in tenants}
        pure_ready = {
            (tok, jid)
            for (tok, jid), ages_ms in chats.items()
            if effective(default, tenants[tok] or {}).next_batch(
                PendingChat(tok, jid, tuple(Bubble(i, now - timedelta(milliseconds=a)) for i, a in enumerate(ages_ms))),
                now,
            )
            is not None
        }
        for tok in tenants:  # every tenant has ready and waiting chats: the windows really differ
            assert 0 < len({c for c in pure_ready if c[0] == tok}) < 40
        assert sql_ready == pure_ready
    finally:
        conn.rollback()
        conn.close()
