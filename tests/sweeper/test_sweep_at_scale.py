"""A sweep of many ready chats: a bounded number of locks, and a number of statements that does not grow with
the chats (bench_sweep measures 10,000 ready chats)."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions
from chatbatch.db import Database
from chatbatch.services.sweep import SweepPolicy, sweep
from chatbatch.store import ai_chat_messages, ai_jobs
from chatbatch_local.explain import ExplainingCursor, plan_nodes

from tests.support.queue import FakeJobQueue


def ready_chats(pg, tenant: str, chats: int, *, first: int = 1) -> None:
    """``chats`` chats of two bubbles each, quiet for a minute (every window in the tests is shorter)."""
    with pg.cursor() as cur:
        cur.execute(
            """
            INSERT INTO ai_chat_messages (session_tok, "from", "to", chat_jid, message_id, needs_reply,
                                          message_timestamp, last_activity)
            SELECT %(tok)s, jid, 'biz', jid, %(tok)s || '-' || c || '-' || b, true, t, t
              FROM generate_series(%(first)s, %(last)s) AS c, generate_series(1, 2) AS b,
                   LATERAL (SELECT '6287' || c || '@s.whatsapp.net' AS jid,
                                   now() - make_interval(secs => 62 - b) AS t) AS x
            """,
            {"tok": tenant, "first": first, "last": first + chats - 1},
        )


def test_ready_chats_beyond_the_slots_are_all_locked_with_at_most_one_lock_per_slot(database_url, pg, tenant, settings):
    chats = ai_chat_messages.CHAT_LOCK_SLOTS + 500
    ready_chats(pg, tenant, chats)
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            locked = ai_chat_messages.lock_ready_chats(cur, SweepPolicy.from_settings(settings).rule, limit=100_000)
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            locks = cur.fetchone()[0]
        assert len([chat for chat in locked if chat[0] == tenant]) == chats
        assert locks <= ai_chat_messages.CHAT_LOCK_SLOTS
    finally:
        conn.rollback()
        conn.close()


class CountingCursor(psycopg2.extensions.cursor):
    statements = 0

    def execute(self, query, vars=None):
        CountingCursor.statements += 1
        return super().execute(query, vars)


class CountingConnection(psycopg2.extensions.connection):
    commits = 0

    def commit(self) -> None:
        CountingConnection.commits += 1
        super().commit()


def test_a_busy_sweep_runs_as_many_statements_for_400_chats_as_for_4(database_url, pg, tenant, settings):
    policy = SweepPolicy.from_settings(settings)
    # As the function runs it: with its outbox connection (fewer ready chats than one chunk: no second one used)
    db, outbox_db = (
        Database(
            lambda: {"dsn": database_url, "cursor_factory": CountingCursor, "connection_factory": CountingConnection}
        )
        for _ in range(2)
    )
    counts, transactions = [], []
    try:
        sweep(db, FakeJobQueue(), policy)  # whatever earlier tests left ready: out of the way
        for first, chats in ((1, 4), (1000, 400)):
            ready_chats(pg, tenant, chats, first=first)
            CountingCursor.statements = CountingConnection.commits = 0
            queue = FakeJobQueue()
            sweep(db, queue, policy, outbox_db=outbox_db)
            assert len([m for m in queue.messages if m.tenant == tenant]) == chats
            counts.append(CountingCursor.statements)
            transactions.append(CountingConnection.commits)
        CountingCursor.statements = CountingConnection.commits = 0
        sweep(db, FakeJobQueue(), policy, outbox_db=outbox_db)
        idle, idle_transactions = CountingCursor.statements, CountingConnection.commits
    finally:
        db.close()
        outbox_db.close()
    assert counts[0] == counts[1] <= 6, counts  # find+lock, re-read, settings, jobs+bubbles; claim, mark sent
    assert transactions == [2, 2]  # jobs made; the outbox (claim, send, mark sent)
    assert (idle, idle_transactions) == (2, 1)  # find; claim: nothing ready, the outbox in the find's transaction


def test_the_outbox_reads_only_the_in_flight_jobs_through_their_partial_index(pg):
    # The statuses reach the SQL as parameters from JobStatus: the planner must still match them with the predicate
    # of ai_jobs_in_flight (0002), or every tick would read the whole history of jobs.
    with pg.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        explain = ExplainingCursor(cur)
        try:
            ai_jobs.claim_due(explain, stuck_after_seconds=600, lost_after_seconds=3600, max_sends=3, limit=10)
        finally:
            cur.execute("RESET enable_seqscan")
    assert "ai_jobs_in_flight" in [node.get("Index Name") for node in plan_nodes(explain.plan)], explain.plan


class FirstPlan(ExplainingCursor):
    """The plan of a store function's first statement (the re-read asks the clock after it finds nothing)."""

    def execute(self, sql: str, params=None) -> None:
        if not self.plan:
            super().execute(sql, params)

    def fetchone(self) -> tuple:
        return (None,)


def test_the_sweeps_reads_of_pending_bubbles_need_only_their_partial_index(pg, tenant, settings):
    # The find statement and the re-read under the lock read (chat, id, arrival) of every pending bubble: all in
    # ai_chat_messages_pending (0023), so neither visits the table; at 100,000 pending bubbles the planner would
    # otherwise read the whole table, history included (docs/scale.md).
    ready_chats(pg, tenant, 3)
    with pg.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        cur.execute("SET enable_bitmapscan = off")
        try:
            find, reread = FirstPlan(cur), FirstPlan(cur)
            ai_chat_messages.lock_ready_chats(find, SweepPolicy.from_settings(settings).rule, limit=10)
            ai_chat_messages.pending_chats(reread, [(tenant, "62871@s.whatsapp.net")])
        finally:
            cur.execute("RESET enable_seqscan")
            cur.execute("RESET enable_bitmapscan")
    for explain in (find, reread):
        scans = [node for node in plan_nodes(explain.plan) if node.get("Relation Name") == "ai_chat_messages"]
        assert [(node["Node Type"], node.get("Index Name")) for node in scans] == [
            ("Index Only Scan", "ai_chat_messages_pending")
        ], explain.plan
