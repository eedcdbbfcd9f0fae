"""Sweep: the debounce sweep's cost against the size of the history and against the baseline commit's sweep;
10,000 chats ready in one tick; debounce precision.

1. Cost: one idle sweep and one sweep with N ready chats (3 bubbles each), on 10k and on 1M history rows
   (contact and from_me messages already batched: history, not pending). Side by side on the same data, the
   per-bubble query: every unbatched bubble older than the window, grouped by sender, over the whole table, with
   an index on (session_tok, "from", is_batched, last_activity) - the obvious way to write the rule, which also
   splits a burst still being typed (docs/sweeper.md). "ours: find" is the statement that finds (and locks) ready
   chats - its counterpart;
   "ours: sweep" is the whole sweep (both transactions; the queue is an in-memory fake so SQS is not measured).
   "baseline: sweep" is the same sweep of the baseline commit (bench/baseline.py: its own files, in a child
   process), interleaved with ours on the same data. Statements per sweep: counted on the cursor (psycopg2 adds
   BEGIN and COMMIT per transaction).
2. One tick of 10,000 ready chats (3 bubbles each) among 100,000 pending bubbles (35,000 more chats, 2 bubbles
   each, still typing), on the 1M-row history: the whole sweep (jobs made, sent, recorded) against a local SQS
   endpoint in a process of its own (bench/sqs_peer.py; moto's FIFO queue cannot take 10,000 messages fast),
   answering at once or after a 20 ms stand-in for the round trip to SQS, with 1 lane and with the default lanes,
   the outbox on its own connection sending each chunk of jobs as soon as it is made (services/sweep.py); once
   more without that connection (every job made before any is sent). "All jobs made at": when the last chunk
   committed, from the tick's start; "outbox": its transaction, from its first claim to its commit (the two
   overlap); "sweeper CPU": the sweeper process's CPU time in the tick (time.process_time, every thread; the
   database's and the SQS peer's are not in it). The baseline commit's sweep runs the same tick.
3. Precision: the sweeper's loop with the real settings (DEBOUNCE_SECONDS=3, SWEEP_INTERVAL_SECONDS=1) and the
   moto SQS server, while chats send bursts through the ingest use case (bubbles at most half a window
   apart). Per job: (enqueued_at - the burst's last bubble) - window, on the database's clock. "bursts split"
   counts bursts that became more than one job (0 expected unless the machine stalls for half a window).

Runs in its own database on the bench server (dropped afterwards), so history sizes are exact.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
from chatbatch import migrate
from chatbatch.adapters.queue import DEFAULT_SEND_LANES, SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.domain.debounce import DebounceRule
from chatbatch.domain.jobs import JobStatus
from chatbatch.domain.messages import parse_webhook
from chatbatch.services import sweep as sweep_service
from chatbatch.services.ingest import ingest_message
from chatbatch.services.sweep import SweepPolicy, sweep, sweep_loop
from chatbatch.settings import SweeperSettings
from chatbatch.store import ai_chat_messages, tenant_settings

from bench.baseline import BASELINE_COMMIT, BaselineSweeper
from bench.report import median, percentile, print_table, ratio
from tests.support.queue import FakeJobQueue

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
TENANTS_WITH_SETTINGS = 1000
# A tick of 10,000 ready chats may take one debounce window (DEBOUNCE_SECONDS, 3 s: three tick intervals): those
# chats' replies are then late by at most one more window, and the next tick starts at once (no backlog builds).
TICK_BUDGET_SECONDS = 3.0
SQS_ROUND_TRIP_SECONDS = 0.02  # a stand-in for SendMessageBatch's round trip inside a region: assumed, not measured


def add_tenant_settings(db: Database, tenants: list[str]) -> None:
    """Own windows for these tenants (the defaults' values, so the work is the same as with none)."""

    def work(cur) -> None:
        for tenant in tenants:
            tenant_settings.lock(cur, tenant)
            values = {"debounce_seconds": 3, "max_wait_seconds": 30, "max_batch_messages": 50}
            tenant_settings.update(cur, tenant, values, changed_by="bench")

    db.transaction(work)


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
    settle(conn)


def settle(conn) -> None:
    """Steady state, as autovacuum keeps it: no dead index entries left from earlier sweeps."""
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE ai_chat_messages, ai_jobs")


def add_chats(conn, tenant: str, chats: int, *, bubbles: int, quiet_seconds: float, first: int = 1) -> None:
    """``chats`` chats of tenant ``tok``, ``bubbles`` each a second apart, the newest ``quiet_seconds`` old."""
    with conn.cursor() as cur:
        cur.execute(
            """
            INSERT INTO ai_chat_messages (session_tok, "from", "to", chat_jid, body, message_id, needs_reply,
                                          message_timestamp, last_activity)
            SELECT %(tok)s, jid, 'biz@s.whatsapp.net', jid, 'bubble', %(tok)s || '-' || c || '-' || b, true, t, t
            FROM generate_series(%(first)s, %(last)s) AS c, generate_series(1, %(bubbles)s) AS b,
                 LATERAL (SELECT '6288' || c || '@s.whatsapp.net' AS jid,
                                 now() - make_interval(secs => %(quiet)s + %(bubbles)s - b) AS t) AS x
            """,
            {"tok": tenant, "first": first, "last": first + chats - 1, "bubbles": bubbles, "quiet": quiet_seconds},
        )


def add_ready_chats(conn, db: Database, chats: int) -> str:
    """``chats`` chats of one new tenant (with its own settings), 3 bubbles each, quiet for 10 s: all ready."""
    tenant = f"ready-{uuid.uuid4().hex[:8]}"
    add_tenant_settings(db, [tenant])
    add_chats(conn, tenant, chats, bubbles=3, quiet_seconds=10)
    return tenant


def answered(conn) -> None:
    """The workers answered: jobs leave the in-flight set."""
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE ai_jobs SET status = %s WHERE status = %s", (JobStatus.DONE.value, JobStatus.ENQUEUED.value)
        )


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def per_bubble_query_ms(conn) -> float:
    with conn.cursor() as cur:
        return timed(lambda: (cur.execute(PER_BUBBLE_QUERY), cur.fetchall()))


def find_ready_ms(db: Database, rule: DebounceRule) -> float:
    """Our counterpart of the per-bubble query, alone (rolled back: the locks are released, nothing changes)."""
    conn = db.connection()
    with conn.cursor() as cur:
        elapsed = timed(lambda: ai_chat_messages.lock_ready_chats(cur, rule, limit=10_000))
    conn.rollback()
    return elapsed


def sweep_ms(db: Database, policy: SweepPolicy, *, expect_jobs: int = 0, outbox_db: Database | None = None) -> float:
    queue = FakeJobQueue()
    elapsed = timed(lambda: sweep(db, queue, policy, outbox_db=outbox_db))
    assert len(queue.messages) == expect_jobs, f"every ready chat must make one job: {len(queue.messages)} sent"
    return elapsed


def baseline_ms(baseline: BaselineSweeper | None, runs: int, *, expect_jobs: int = 0) -> list[float]:
    if baseline is None:
        return []
    results = baseline.sweeps(runs)
    assert all(jobs == expect_jobs for _, jobs in results), f"baseline: {results}"
    return [ms for ms, _ in results]


def measure_cost(ctx, url: str, conn, db: Database, baseline: BaselineSweeper | None) -> None:
    settings = SweeperSettings(database_url=url, max_jobs_per_sweep=10_000)
    policy = SweepPolicy.from_settings(settings)
    outbox_db = Database(lambda: {"dsn": url, "cursor_factory": _CountingCursor})  # as the function sweeps
    with conn.cursor() as cur:
        cur.execute(PER_BUBBLE_INDEX)
    add_tenant_settings(db, [f"hist-{n}" for n in range(50)] + [f"other-{n}" for n in range(TENANTS_WITH_SETTINGS)])
    sizes = [10_000] if ctx.quick else [10_000, 1_000_000]
    ready_chats = ctx.scale(1000, 200)
    idle_runs, ready_runs = ctx.scale(100, 10), ctx.scale(6, 2)
    rows, vs_baseline, results, grown = [], [], {}, 0
    for size in sizes:
        grow_history(conn, grown, size)
        grown = size
        sweep_ms(db, policy, outbox_db=outbox_db)  # warm: connection, plans
        baseline_ms(baseline, 1)
        idle_ours, idle_base, find_ours = [], [], []
        for _ in range(10):  # interleaved rounds: a noisy neighbour slows both alike
            idle_ours += [sweep_ms(db, policy, outbox_db=outbox_db) for _ in range(idle_runs // 10)]
            idle_base += baseline_ms(baseline, idle_runs // 10)
            find_ours += [find_ready_ms(db, policy.rule) for _ in range(idle_runs // 10)]
        _CountingCursor.statements = 0
        sweep_ms(db, policy, outbox_db=outbox_db)
        idle_statements = _CountingCursor.statements
        idle_per_bubble = median([per_bubble_query_ms(conn) for _ in range(idle_runs)])
        busy, busy_base, busy_find, busy_per_bubble, busy_statements = [], [], [], [], []
        for run in range(ready_runs):
            # The same work for both, a fresh set of ready chats each, in alternating order (no warm-up bias).
            for ours in (True, False) if run % 2 == 0 else (False, True):
                if not ours and baseline is None:
                    continue
                add_ready_chats(conn, db, ready_chats)
                settle(conn)
                if ours:
                    busy_per_bubble.append(per_bubble_query_ms(conn))
                    busy_find.append(find_ready_ms(db, policy.rule))
                    _CountingCursor.statements = 0
                    busy.append(sweep_ms(db, policy, expect_jobs=ready_chats, outbox_db=outbox_db))
                    busy_statements.append(_CountingCursor.statements)
                else:
                    busy_base += baseline_ms(baseline, 1, expect_jobs=ready_chats)
                answered(conn)
        results[size] = {
            "idle": (median(idle_ours), median(find_ours), idle_per_bubble),
            "ready": (median(busy), median(busy_find), median(busy_per_bubble)),
        }
        label = f"{size:,}"
        idle_find = median(find_ours)
        rows.append(
            [
                label,
                "idle",
                median(idle_ours),
                idle_find,
                idle_per_bubble,
                ratio(idle_per_bubble, idle_find),
                idle_statements,
            ]
        )
        rows.append(
            [
                label,
                f"{ready_chats:,} ready chats",
                median(busy),
                median(busy_find),
                median(busy_per_bubble),
                ratio(median(busy_per_bubble), median(busy_find)),
                round(median(busy_statements)),
            ]
        )
        for case, base, ours in (
            ("idle", idle_base, idle_ours),
            (f"{ready_chats:,} ready chats", busy_base, busy),
        ):
            vs_baseline.append([label, case, median(base), median(ours), ratio(median(ours), median(base))])
    outbox_db.close()
    print_table(
        "Sweep cost vs history size (ms, median; per-bubble = every bubble older than the window, with its index)",
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
    if baseline is not None:
        print_table(
            f"This sweep vs the baseline commit's ({BASELINE_COMMIT[:10]}; ms, median, interleaved on the same data; "
            f"{TENANTS_WITH_SETTINGS + 50:,} tenants with settings)",
            ["history rows", "case", "baseline: sweep", "ours: sweep", "ours / baseline"],
            vs_baseline,
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


@contextmanager
def sqs_peer(delay_seconds: float):
    """bench/sqs_peer.py in a process of its own; its queue URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.sqs_peer", str(delay_seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        yield child.stdout.readline().strip()
    finally:
        child.stdin.close()
        child.wait(30)


class _TimedParts:
    """Inside one sweep: how long its outbox transaction took (jobs claimed, sent, recorded), and when (from the
    start) the last of its jobs was made. With an outbox connection the two overlap."""

    _MAKERS = ("make_first_jobs", "make_jobs_of")

    def __init__(self) -> None:
        self.outbox_seconds = 0.0
        self.made_at = 0.0
        self._started = 0.0
        self._real = {name: getattr(sweep_service, name) for name in ("send_due_jobs", *self._MAKERS)}

    def __enter__(self):
        def timed_outbox(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self._real["send_due_jobs"](*args, **kwargs)
            finally:
                self.outbox_seconds = time.perf_counter() - started

        def timed_maker(name: str):
            def timed(*args, **kwargs):
                try:
                    return self._real[name](*args, **kwargs)
                finally:
                    self.made_at = time.perf_counter() - self._started

            return timed

        sweep_service.send_due_jobs = timed_outbox
        for name in self._MAKERS:
            setattr(sweep_service, name, timed_maker(name))
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        for name, real in self._real.items():
            setattr(sweep_service, name, real)


def measure_tick(ctx, url: str, conn, db: Database, baseline: BaselineSweeper | None) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ai_chat_messages WHERE is_batched")
        history = cur.fetchone()[0]
    ready, typing = ctx.scale(10_000, 500), ctx.scale(35_000, 1_000)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")  # the local endpoint checks no signature
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    settings = SweeperSettings(database_url=url, max_jobs_per_sweep=10_000)
    policy = SweepPolicy.from_settings(settings)
    # (round trip, lanes, outbox alongside): the last case is the sweep without its outbox connection, every job
    # made before any is sent, for comparison.
    cases = [
        (0.0, 1, True),
        (0.0, DEFAULT_SEND_LANES, True),
        (SQS_ROUND_TRIP_SECONDS, 1, True),
        (SQS_ROUND_TRIP_SECONDS, DEFAULT_SEND_LANES, True),
        (0.0, DEFAULT_SEND_LANES, False),
    ]
    outbox_db = Database(lambda: {"dsn": url, "cursor_factory": _CountingCursor})
    rows = []

    def tick_workload() -> str:
        tenant = f"tick-{uuid.uuid4().hex[:8]}"
        add_chats(conn, tenant, ready, bubbles=3, quiet_seconds=10)
        # Still typing whatever the tick takes: their bubbles stamped two minutes ahead, so no window closes.
        add_chats(conn, tenant, typing, bubbles=2, quiet_seconds=-120, first=ready + 1)
        settle(conn)
        return tenant

    def clear(tenant: str) -> None:  # the typists' bubbles out of the way of the next case
        answered(conn)
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE ai_chat_messages SET is_batched = true WHERE session_tok = %s AND NOT is_batched", (tenant,)
            )

    for delay, lanes, alongside in cases:
        with sqs_peer(delay) as queue_url:
            queue = SqsJobQueue(queue_url, region="us-east-1", endpoint_url=queue_url.rsplit("/", 2)[0], lanes=lanes)
            # Its SQS sender and database connections exist before the tick, as in a warm container (the function
            # caches them: job_queue_for, database_for); building the boto3 client behind it costs 50-180 ms of CPU.
            queue._batch_sender()
            tenant = tick_workload()
            outbox_db.transaction(lambda cur: None)
            _CountingCursor.statements = 0
            cpu = time.process_time()
            with _TimedParts() as parts:
                started = time.perf_counter()
                result = sweep(db, queue, policy, outbox_db=outbox_db if alongside else None)
                seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            assert len(result.created) == ready and len(result.outbox.sent) == ready, (result.created, result.outbox)
            rows.append(
                [
                    "ours" if alongside else "ours, every job made before any is sent",
                    f"{delay * 1000:g} ms",
                    lanes,
                    f"{seconds:.2f} s",
                    f"{parts.made_at:.2f} s",
                    f"{parts.outbox_seconds:.2f} s",
                    f"{cpu:.2f} s",
                    _CountingCursor.statements,
                    f"{ready / seconds:,.0f}",
                    "yes" if seconds <= TICK_BUDGET_SECONDS else "NO",
                ]
            )
            clear(tenant)
    outbox_db.close()
    if baseline is not None:
        tenant = tick_workload()
        [(ms, jobs)] = baseline.sweeps(1)
        assert jobs == ready, f"baseline sent {jobs}"
        seconds = ms / 1000
        rows.append(
            [
                "baseline (in-memory queue)",
                "-",
                1,
                f"{seconds:.2f} s",
                "",
                "",
                "",
                "",
                "",
                "yes" if seconds <= TICK_BUDGET_SECONDS else "NO",
            ]
        )
        clear(tenant)
    print_table(
        f"One tick: {ready:,} ready chats (3 bubbles each) among {3 * ready + 2 * typing:,} pending bubbles "
        f"on {history:,} history rows; local SQS endpoint in its own process; budget: one debounce window "
        f"({TICK_BUDGET_SECONDS:g} s)",
        [
            "sweep",
            "SQS round trip",
            "lanes",
            "tick",
            "all jobs made at",
            "outbox (claim, send, record)",
            "sweeper CPU",
            "statements",
            "jobs/s (tick)",
            "within budget",
        ],
        rows,
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
    tenant = f"precision-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    deadline = time.monotonic() + spread + 2 * window + 10

    def loop() -> None:
        db, queue = Database(connect_params_from_settings(settings)), SqsJobQueue.from_settings(settings)
        sweep_loop(
            lambda: sweep(db, queue, SweepPolicy.from_settings(settings)),
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
                        "session_token": tenant,
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
                    (tenant, tenant),
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
                (window * 1000, tenant),
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
        conn = psycopg2.connect(url)
        conn.autocommit = True
        db = Database(lambda: {"dsn": url, "cursor_factory": _CountingCursor})
        baseline = BaselineSweeper.start(url)
        try:
            measure_cost(ctx, url, conn, db, baseline)
            measure_tick(ctx, url, conn, db, baseline)
        finally:
            if baseline is not None:
                baseline.close()
            db.close()
            conn.close()
        measure_precision(ctx, url)
