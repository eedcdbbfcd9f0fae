"""The chat-history page's live-update poll: does a `changes since` poll stay cheap as a tenant's rooms grow?

Per size, one tenant's rooms are inserted in bulk with stamps a day old, then 5 rooms are written now (what
happens between two polls). Through the api function's handler, in-process (auth, validation, query, JSON):
``GET /chat-rooms/changes?since=<cursor>`` (what the page asks every 2 s), next to ``GET /chat-rooms?limit=30``
(what reloading the list instead would cost). With the (user_token, updated_at) index of migration 0005 the
poll reads only the changed rooms, so its time should not follow the tenant's size.
"""

from __future__ import annotations

import json
import time
import uuid
import warnings
from urllib.parse import urlencode

import psycopg2
import psycopg2.extensions
from chatbatch import views
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.domain.room_changes import MAX_CHANGED_ROOMS, changes_window_start
from chatbatch.services import api_tokens
from chatbatch.settings import CommonSettings
from chatbatch_local.lambda_runtime import LambdaContext, http_api_event, load_function

from bench.report import median, percentile, print_table, ratio

CHANGED = 5


def run(ctx) -> None:
    sizes = [100, ctx.scale(10_000, 1_000), ctx.scale(100_000, 2_000)]
    repeats = ctx.scale(200, 10)
    api = load_function("api")
    warnings.filterwarnings("ignore", "No application metrics to publish")  # reads emit no metric
    conn = psycopg2.connect(ctx.database_url)
    conn.autocommit = True
    db = Database(connect_params_from_settings(CommonSettings(database_url=ctx.database_url)))

    rows, baseline = [], None
    for size in sizes:
        tenant = f"bench-ui-{uuid.uuid4().hex[:8]}"
        _seed(conn, tenant, size)
        token = api_tokens.create_token(db, tenant, label="bench").token

        def get(path: str, **query) -> dict:
            event = http_api_event("GET", path, urlencode(query), {"authorization": f"Bearer {token}"}, b"")
            response = api.lambda_handler(event, LambdaContext(function_name="bench"))
            assert response["statusCode"] == 200, response
            return json.loads(response["body"])

        cursor = get("/chat-rooms/changes")["cursor"]
        with conn.cursor() as cur:  # between two polls: five rooms get a message
            cur.execute(
                "UPDATE chat_rooms SET last_message = 'new', last_activity = now() WHERE id IN "
                "(SELECT id FROM chat_rooms WHERE user_token = %s ORDER BY id LIMIT %s)",
                (tenant, CHANGED),
            )
        poll = _timed(repeats, lambda: get("/chat-rooms/changes", since=cursor))
        reload = _timed(repeats, lambda: get("/chat-rooms", limit=30))
        assert len(get("/chat-rooms/changes", since=cursor)["items"]) == CHANGED
        baseline = baseline or median(poll)
        rows.append(
            [
                size,
                CHANGED,
                _buffers_read(conn, tenant, cursor),
                median(poll),
                percentile(poll, 95),
                ratio(median(poll), baseline),
                median(reload),
                percentile(reload, 95),
            ]
        )
    db.close()
    conn.close()
    print_table(
        f"changes poll vs tenant size ({repeats} requests each, in-process handler, ms)",
        [
            "rooms of the tenant",
            "changed",
            "poll query buffers",
            "poll p50",
            "poll p95",
            "poll vs smallest",
            "list page p50",
            "list page p95",
        ],
        rows,
    )


def _seed(conn, tenant: str, size: int) -> None:
    """``size`` rooms whose last change was a day ago (the stamp trigger is paused for this bulk insert)."""
    with conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("ALTER TABLE chat_rooms DISABLE TRIGGER chat_rooms_stamp_change")
        cur.execute(
            """
            INSERT INTO chat_rooms (chat_id, user_token, contact_jid, contact_name, chat_type, is_group,
                                    last_message, last_sender, last_activity, unread_count, updated_at)
            SELECT %(t)s || '_62' || n || '@s.whatsapp.net', %(t)s, '62' || n || '@s.whatsapp.net', 'Contact ' || n,
                   'individual', false, 'Halo', 'contact', now() - interval '1 day' - n * interval '1 second',
                   n %% 3, now() - interval '1 day'
              FROM generate_series(1, %(size)s) AS n
            """,
            {"t": tenant, "size": size},
        )
        cur.execute("ALTER TABLE chat_rooms ENABLE TRIGGER chat_rooms_stamp_change")
        cur.execute("COMMIT")
        cur.execute("ANALYZE chat_rooms")


class _Explained(psycopg2.extensions.cursor):
    """Runs each statement under EXPLAIN (ANALYZE, BUFFERS): the views query itself, measured, not a copy of it."""

    def execute(self, sql, params=None):
        return super().execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)


def _buffers_read(conn, tenant: str, cursor: str) -> int:
    """Pages the poll's query touches: a measure the shared machine's noise cannot move."""
    with conn.cursor(cursor_factory=_Explained) as cur:
        explained = views.rooms_changed_since(
            cur, tenant=tenant, since=changes_window_start(cursor), size=MAX_CHANGED_ROOMS + 1
        )
    plan = explained[0]["QUERY PLAN"][0]["Plan"]
    return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]


def _timed(repeats: int, call) -> list[float]:
    call()  # warm: the connection and the plan cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times
