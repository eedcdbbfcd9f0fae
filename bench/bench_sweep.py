"""Sweep: the debounce sweep's cost against the size of the history, next to a per-bubble query; debounce precision.

1. Cost: one idle sweep and one sweep with N ready chats (3 bubbles each), on 10k and on 1M history rows
   (contact and from_me messages already batched: history, not pending). Side by side on the same data, the
   per-bubble query: every unbatched bubble older than the window, grouped by sender, over the whole table, with
   an index on (session_tok, "from", is_batched, last_activity) - the obvious way to write the rule, which also
   splits a burst still being typed (docs/sweeper.md). "ours: find" is the statement that finds (and locks) ready
   chats - its counterpart; "ours: sweep" is the whole sweep (both transactions; the queue is an in-memory fake so
   SQS is not measured).
   Statements per sweep: counted on the cursor (psycopg2 adds BEGIN and COMMIT per transaction).
2. Precision: the sweeper's loop with the real settings (DEBOUNCE_SECONDS=3, SWEEP_INTERVAL_SECONDS=1) and the
   moto SQS server, while chats send bursts through the ingest use case (bubbles at most half a window
   apart). Per job: (enqueued_at - the burst's last bubble) - window, on the database's clock. "bursts split"
   counts bursts that became more than one job (0 expected unless the machine stalls for half a window).

Runs in its own database on the bench server (dropped afterwards), so history sizes are exact.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
from chatbatch import migrate
from chatbatch.adapters.queue import FakeJobQueue, SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.domain.debounce import DebounceRule
from chatbatch.domain.messages import parse_webhook
from chatbatch.services.ingest import ingest_message
from chatbatch.services.sweep import sweep, sweep_loop
from chatbatch.settings import SweeperSettings
from chatbatch.store import ai_chat_messages, tenant_settings

from bench.report import median, percentile, print_table, ratio

PER_BUBBLE_QUERY = """
    SELECT session_tok, "from", COUNT(*), array_agg(message_id)
    FROM ai_chat_messages
    WHERE is_batched = FALSE
      AND last_activity < NOW() - INTERVAL '3 seconds'
    GROUP BY session_tok, "from"
"""
PER_BUBBLE_INDEX = (
    'CREATE INDEX idx_ai_chat_messages_batching ON ai_chat_messages (session_tok, "from", is_batched, last_activity)'
)
# Today's (before per-tenant settings) statement that finds and locks ready chats: one window for every tenant.
# Kept as the baseline the per-tenant statement is measured against, in the same run on the same data.
TODAYS_FIND = """
    WITH ready AS MATERIALIZED (
        SELECT session_tok, chat_jid, min(last_activity) AS waiting_since
        FROM ai_chat_messages
        WHERE needs_reply AND NOT is_batched
        GROUP BY session_tok, chat_jid
        HAVING max(last_activity) <= now() - make_interval(secs => %(debounce_seconds)s)
            OR min(last_activity) <= now() - make_interval(secs => %(max_wait_seconds)s)
            OR count(*) >= %(max_batch_messages)s
        ORDER BY waiting_since
        LIMIT %(limit)s
    )
    SELECT session_tok, chat_jid
    FROM ready
    WHERE pg_try_advisory_xact_lock(%(lock_space)s, hashtext(session_tok || chr(31) || chat_jid))
    ORDER BY waiting_since
"""
TENANTS_WITH_SETTINGS = 1000


def todays_lock_ready_chats(cur, rule: DebounceRule, *, limit: int) -> list[tuple[str, str]]:
    cur.execute(
        TODAYS_FIND,
        {
            "debounce_seconds": rule.debounce_seconds,
            "max_wait_seconds": rule.max_wait_seconds,
            "max_batch_messages": rule.max_batch_messages,
            "limit": limit,
            "lock_space": ai_chat_messages._CHAT_LOCK_SPACE,
        },
    )
    return [(row[0], row[1]) for row in cur.fetchall()]


@contextmanager
def todays_sweep():
    """The sweep as it was before per-tenant settings: today's find statement, no settings lookup."""
    ours_find, ours_overrides = ai_chat_messages.lock_ready_chats, tenant_settings.overrides_of
    ai_chat_messages.lock_ready_chats = todays_lock_ready_chats
    tenant_settings.overrides_of = lambda cur, session_toks: {}
    try:
        yield
    finally:
        ai_chat_messages.lock_ready_chats, tenant_settings.overrides_of = ours_find, ours_overrides


def add_tenant_settings(conn, session_toks: list[str]) -> None:
    """Own windows for these tenants (the defaults' values, so the work is the same as today's)."""
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tenant_settings (session_tok, debounce_seconds, max_wait_seconds, max_batch_messages,"
            " system_prompt) SELECT tok, 3, 30, 50, 'Kamu asisten toko ' || tok FROM unnest(%s::text[]) AS tok"
            " ON CONFLICT DO NOTHING",
            (session_toks,),
        )


class _CountingCursor(psycopg2.extensions.cursor):
    statements = 0

    def execute(self, query, vars=None):
        type(self).statements += 1
        return super().execute(query, vars)


@contextmanager
def own_database(server_url: str):
    """A fresh, migrated database on the bench server; dropped at the end."""
    name = f"bench_sweep_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    url = psycopg2.extensions.make_dsn(server_url, dbname=name)
    try:
        migrate.apply_pending(dsn=url)
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def grow_history(conn, start: int, stop: int) -> None:
    """Messages ``start..stop-1`` of 50 tenants x 20k chats: every 5th from_me, all already batched."""
    with conn.cursor() as cur:
        cur.execute(
            """
            INSERT INTO ai_chat_messages (session_tok, "from", "to", chat_jid, body, message_id, from_me,
                                          needs_reply, is_batched, message_timestamp, last_activity, created_at)
            SELECT 'hist-' || (g %% 50),
                   CASE WHEN g %% 5 = 0 THEN 'biz@s.whatsapp.net' ELSE '62' || (g %% 20000) || '@s.whatsapp.net' END,
                   CASE WHEN g %% 5 = 0 THEN '62' || (g %% 20000) || '@s.whatsapp.net' ELSE 'biz@s.whatsapp.net' END,
                   '62' || (g %% 20000) || '@s.whatsapp.net', 'history bubble ' || g, 'h' || g,
                   g %% 5 = 0, g %% 5 <> 0, true, t, t, t
            FROM generate_series(%s, %s - 1) AS g, LATERAL (SELECT now() - make_interval(secs => g) AS t) AS at
            """,
            (start, stop),
        )
        # Steady state, as autovacuum keeps it: no dead index entries left from the previous round's sweeps.
        cur.execute("VACUUM ANALYZE ai_chat_messages, ai_jobs")


def add_ready_chats(conn, chats: int) -> str:
    """``chats`` chats of one new tenant (with its own settings), 3 bubbles each, quiet for 10 s: all ready."""
    tok = f"ready-{uuid.uuid4().hex[:8]}"
    add_tenant_settings(conn, [tok])
    with conn.cursor() as cur:
        cur.execute(
            """
            INSERT INTO ai_chat_messages (session_tok, "from", "to", chat_jid, body, message_id, needs_reply,
                                          message_timestamp, last_activity)
            SELECT %s, jid, 'biz@s.whatsapp.net', jid, 'bubble', %s || '-' || c || '-' || b, true, t, t
            FROM generate_series(1, %s) AS c, generate_series(1, 3) AS b,
                 LATERAL (SELECT '6288' || c || '@s.whatsapp.net' AS jid,
                                 now() - make_interval(secs => 13 - b) AS t) AS x
            """,
            (tok, tok, chats),
        )
    return tok


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def per_bubble_query_ms(conn) -> float:
    with conn.cursor() as cur:
        return timed(lambda: (cur.execute(PER_BUBBLE_QUERY), cur.fetchall()))


def find_ready_ms(db: Database, rule: DebounceRule, find=None) -> float:
    """Our counterpart of the per-bubble query, alone (rolled back: the locks are released, nothing changes)."""
    find = find or ai_chat_messages.lock_ready_chats
    conn = db.connection()
    with conn.cursor() as cur:
        elapsed = timed(lambda: find(cur, rule, limit=10_000))
    conn.rollback()
    return elapsed


def sweep_ms(db: Database, settings: SweeperSettings, *, today: bool, expect_jobs: int = 0) -> float:
    queue = FakeJobQueue()
    if today:
        with todays_sweep():
            elapsed = timed(lambda: sweep(db, queue, settings))
    else:
        elapsed = timed(lambda: sweep(db, queue, settings))
    assert len(queue.messages) == expect_jobs, "every ready chat must make one job"
    return elapsed


def measure_cost(ctx, url: str) -> None:
    settings = SweeperSettings(database_url=url, max_jobs_per_sweep=10_000)
    rule = DebounceRule.from_settings(settings)
    db = Database(connect_params_from_settings(settings), cursor_factory=_CountingCursor)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(PER_BUBBLE_INDEX)
    add_tenant_settings(conn, [f"hist-{n}" for n in range(50)] + [f"other-{n}" for n in range(TENANTS_WITH_SETTINGS)])
    sizes = [10_000] if ctx.quick else [10_000, 1_000_000]
    ready_chats = ctx.scale(1000, 200)
    idle_runs, ready_runs = ctx.scale(100, 10), ctx.scale(6, 2)
    rows, vs_today, results, grown = [], [], {}, 0
    for size in sizes:
        grow_history(conn, grown, size)
        grown = size
        sweep_ms(db, settings, today=False)  # warm: connection, plans
        sweep_ms(db, settings, today=True)
        _CountingCursor.statements = 0
        idle_runs_ours, idle_runs_today, find_ours, find_today = [], [], [], []
        for _ in range(idle_runs):  # interleaved: a noisy neighbour slows both alike
            idle_runs_ours.append(sweep_ms(db, settings, today=False))
            idle_runs_today.append(sweep_ms(db, settings, today=True))
            find_ours.append(find_ready_ms(db, rule))
            find_today.append(find_ready_ms(db, rule, todays_lock_ready_chats))
        idle_statements = round(_CountingCursor.statements / idle_runs / 2, 1)
        idle, idle_today = median(idle_runs_ours), median(idle_runs_today)
        idle_find, idle_find_today = median(find_ours), median(find_today)
        idle_per_bubble = median([per_bubble_query_ms(conn) for _ in range(idle_runs)])
        busy, busy_today, busy_find, busy_find_today, busy_per_bubble, busy_statements = [], [], [], [], [], []
        for run in range(ready_runs):
            # The same work for both, a fresh set of ready chats each, in alternating order (no warm-up bias).
            for today in (True, False) if run % 2 == 0 else (False, True):
                add_ready_chats(conn, ready_chats)
                if not today:
                    busy_per_bubble.append(per_bubble_query_ms(conn))
                (busy_find_today if today else busy_find).append(
                    find_ready_ms(db, rule, todays_lock_ready_chats if today else None)
                )
                _CountingCursor.statements = 0
                (busy_today if today else busy).append(sweep_ms(db, settings, today=today, expect_jobs=ready_chats))
                if not today:
                    busy_statements.append(_CountingCursor.statements)
                with conn.cursor() as cur:  # the workers answered: jobs leave the in-flight set
                    cur.execute("UPDATE ai_jobs SET status = 'done' WHERE status = 'enqueued'")
        results[size] = {
            "idle": (idle, idle_find, idle_per_bubble),
            "ready": (median(busy), median(busy_find), median(busy_per_bubble)),
        }
        label = f"{size:,}"
        idle_vs_ours = ratio(idle_per_bubble, idle_find)
        rows.append([label, "idle", idle, idle_find, idle_per_bubble, idle_vs_ours, idle_statements])
        rows.append(
            [
                label,
                f"{ready_chats:,} ready chats",
                median(busy),
                median(busy_find),
                median(busy_per_bubble),
                ratio(median(busy_per_bubble), median(busy_find)),
                median(busy_statements),
            ]
        )
        vs_today.append(
            [
                label,
                "idle",
                idle_today,
                idle,
                ratio(idle, idle_today),
                idle_find_today,
                idle_find,
                ratio(idle_find, idle_find_today),
            ]
        )
        vs_today.append(
            [
                label,
                f"{ready_chats:,} ready chats",
                median(busy_today),
                median(busy),
                ratio(median(busy), median(busy_today)),
                median(busy_find_today),
                median(busy_find),
                ratio(median(busy_find), median(busy_find_today)),
            ]
        )
    db.close()
    conn.close()
    print_table(
        "Sweep cost vs history size (ms, median; per-bubble = every unbatched bubble older than 3 s, with its index)",
        [
            "history rows",
            "case",
            "ours: sweep",
            "ours: find",
            "per-bubble query",
            "per-bubble / ours (find)",
            "statements per sweep",
        ],
        rows,
    )
    print_table(
        f"Per-tenant windows vs today's single window (ms, median; {TENANTS_WITH_SETTINGS + 50:,} tenants with "
        "settings; the ready tenant has its own)",
        [
            "history rows",
            "case",
            "today: sweep",
            "per-tenant: sweep",
            "ratio",
            "today: find",
            "per-tenant: find",
            "ratio (find)",
        ],
        vs_today,
    )
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        print_table(
            f"Growth from {sizes[0]:,} to {sizes[-1]:,} history rows ({sizes[-1] // sizes[0]}x the rows)",
            ["case", "ours: sweep", "ours: find", "per-bubble query"],
            [
                [
                    case,
                    ratio(large[case][0], small[case][0]),
                    ratio(large[case][1], small[case][1]),
                    ratio(large[case][2], small[case][2]),
                ]
                for case in ("idle", "ready")
            ],
        )


def measure_precision(ctx, url: str) -> None:
    from chatbatch_local.sqs import start_local_sqs

    window = 3.0 if not ctx.quick else 1.0
    interval = 1.0 if not ctx.quick else 0.1
    chats = ctx.scale(60, 8)
    spread = ctx.scale(8, 1)  # seconds over which bursts start
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")  # moto accepts any credentials
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    queues = start_local_sqs()
    settings = SweeperSettings(
        database_url=url,
        queue_url=queues.queue_url,
        sqs_endpoint_url=queues.endpoint_url,
        debounce_seconds=window,
        sweep_interval_seconds=interval,
    )
    tok = f"precision-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    deadline = time.monotonic() + spread + 2 * window + 10

    def loop() -> None:
        db, queue = Database(connect_params_from_settings(settings)), SqsJobQueue.from_settings(settings)
        sweep_loop(
            lambda: sweep(db, queue, settings),
            interval_seconds=interval,
            safety_margin_ms=0,
            remaining_ms=lambda: 0 if stop.is_set() else int((deadline - time.monotonic()) * 1000),
        )
        db.close()

    def contact(n: int, rng: random.Random) -> None:
        db = Database(connect_params_from_settings(settings))
        time.sleep(rng.uniform(0, spread))
        for b in range(rng.randint(1, 4)):
            if b:
                time.sleep(rng.uniform(0, 0.5 * window))  # well inside the window: the same burst
            ingest_message(
                db,
                parse_webhook(
                    {
                        "session_token": tok,
                        "message_id": f"{n}-{b}",
                        "body": "Halo",
                        "from": f"6287{n:06d}@s.whatsapp.net",
                        "to": "6280000000000@s.whatsapp.net",
                    }
                ),
                reply_groups=False,
            )
        db.close()

    sweeper = threading.Thread(target=loop)
    sweeper.start()
    contacts = [threading.Thread(target=contact, args=(n, random.Random(n))) for n in range(chats)]
    for t in contacts:
        t.start()
    for t in contacts:
        t.join()
    conn = psycopg2.connect(url)
    try:
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM ai_chat_messages WHERE session_tok = %s AND NOT is_batched "
                    "UNION ALL SELECT count(*) FROM ai_jobs WHERE session_tok = %s AND enqueued_at IS NULL",
                    (tok, tok),
                )
                if all(n == 0 for (n,) in cur.fetchall()):
                    break
            conn.rollback()
            time.sleep(0.1)
        stop.set()
        sweeper.join()
        with conn.cursor() as cur:
            cur.execute(
                "SELECT extract(epoch FROM enqueued_at - last_message_at) * 1000 - %s, chat_jid "
                "FROM ai_jobs WHERE session_tok = %s AND enqueued_at IS NOT NULL",
                (window * 1000, tok),
            )
            found = cur.fetchall()
    finally:
        conn.close()
        queues.stop()
    delays = [float(d) for d, _ in found]
    print_table(
        f"Debounce precision: enqueued - (last bubble + window), ms (window {window:g} s, sweep every "
        f"{interval:g} s, moto SQS)",
        ["bursts", "jobs", "bursts split", "p50", "p99", "max", "min"],
        [
            [
                chats,
                len(found),
                len(found) - len({jid for _, jid in found}),
                percentile(delays, 50),
                percentile(delays, 99),
                max(delays, default=0.0),
                min(delays, default=0.0),
            ]
        ],
    )


def run(ctx) -> None:
    with own_database(ctx.database_url) as url:
        measure_cost(ctx, url)
        measure_precision(ctx, url)
