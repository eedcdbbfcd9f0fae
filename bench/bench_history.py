"""History API paging: is a page deep in a long list as fast as the first one?

A tenant with 100,000 rooms (activity times tie in threes, so the id tie-break is exercised) and one room
with 100,000 messages, inserted in bulk. Through the api function's handler, in-process (auth, validation,
query, JSON): the first page, the page reached by following ``next_cursor`` 500 times, and the last page,
side by side; keyset paging should keep the ratio near 1x. For contrast, the same depths read with
LIMIT/OFFSET (SQL only), the paging this API does not use.
"""

from __future__ import annotations

import json
import time
import uuid
import warnings
from collections.abc import Callable
from urllib.parse import urlencode

import psycopg2
from chatbatch import views
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.domain.paging import PageKey, encode_cursor
from chatbatch.services import api_tokens
from chatbatch.settings import CommonSettings
from chatbatch_local.explain import ExplainingCursor, index_scan
from chatbatch_local.lambda_runtime import LambdaContext, http_api_event, load_function

from bench.report import median, percentile, print_table, ratio

PAGE = 20


def run(ctx) -> None:
    rooms = ctx.scale(100_000, 2_000)
    messages = ctx.scale(100_000, 2_000)
    hops = ctx.scale(500, 20)
    repeats = ctx.scale(100, 5)
    tenant = f"bench-history-{uuid.uuid4().hex[:8]}"

    conn = psycopg2.connect(ctx.database_url)
    conn.autocommit = True
    started = time.perf_counter()
    big_room = _seed(conn, tenant, rooms, messages)
    seeded_in = time.perf_counter() - started

    db = Database(connect_params_from_settings(CommonSettings(database_url=ctx.database_url)))
    token = api_tokens.create_token(db, tenant, label="bench").token
    db.close()
    api = load_function("api")
    # log_metrics warns on every request that emits no metric: reading history emits none.
    warnings.filterwarnings("ignore", "No application metrics to publish")

    def get(path: str, **query) -> dict:
        event = http_api_event("GET", path, urlencode(query), {"authorization": f"Bearer {token}"}, b"")
        response = api.lambda_handler(event, LambdaContext(function_name="bench"))
        assert response["statusCode"] == 200, response
        return json.loads(response["body"])

    handler_rows, sql_rows, plan_rows = [], [], []
    for name, path, cursor_param, total, table, order, index in (
        ("rooms", "/chat-rooms", "cursor", rooms, "chat_rooms", "last_activity", "chat_rooms_tenant_activity"),
        (
            "messages",
            f"/chat-rooms/{big_room}/messages",
            "before",
            messages,
            "chat_messages",
            "message_timestamp",
            "chat_messages_room_time",
        ),
    ):
        get(path, limit=PAGE)  # warm: the first request pays for the connection, not for paging
        followed_at = time.perf_counter()
        cursor = None
        for _ in range(hops):
            cursor = get(path, limit=PAGE, **({cursor_param: cursor} if cursor else {}))["next_cursor"]
        per_hop_ms = (time.perf_counter() - followed_at) * 1000 / hops
        deep_page = hops + 1
        last_offset = (total - 1) // PAGE * PAGE
        last_cursor = encode_cursor(_key_at(conn, table, order, tenant, big_room, last_offset - 1))

        first, deep, last = _timed(
            repeats,
            [
                lambda: get(path, limit=PAGE),
                lambda: get(path, limit=PAGE, **{cursor_param: cursor}),
                lambda: get(path, limit=PAGE, **{cursor_param: last_cursor}),
            ],
        )
        base = median(first)
        handler_rows += [
            (name, "1 (first)", 0, median(first), percentile(first, 95), "1.00x"),
            (
                name,
                f"{deep_page} (cursor followed {hops}x)",
                hops * PAGE,
                median(deep),
                percentile(deep, 95),
                ratio(median(deep), base),
            ),
            (
                name,
                f"{last_offset // PAGE + 1} (last)",
                last_offset,
                median(last),
                percentile(last, 95),
                ratio(median(last), base),
            ),
        ]
        handler_rows.append((name, "following next_cursor (mean per page)", "", per_hop_ms, "", ""))

        for depth in (0, hops * PAGE, last_offset):
            keyset_key = _key_at(conn, table, order, tenant, big_room, depth - 1) if depth else None
            keyset, offset = _timed(
                repeats,
                [
                    lambda: _sql_page(conn, table, order, tenant, big_room, key=keyset_key),
                    lambda: _sql_page(conn, table, order, tenant, big_room, offset=depth),
                ],
            )
            sql_rows.append((name, depth, median(keyset), median(offset), ratio(median(offset), median(keyset))))
            plan_rows.append((name, depth, *_view_plan(conn, table, index, tenant, big_room, keyset_key)))

    print_table(
        f"History paging through the handler ({rooms:,} rooms of one tenant; one room with {messages:,} messages; "
        f"{PAGE} per page; {repeats} runs each; seeded in {seeded_in:.1f} s)",
        ["list", "page", "items skipped", "median ms", "p95 ms", "vs first page"],
        handler_rows,
    )
    print_table(
        "The same pages in SQL only: keyset (what the API runs) vs LIMIT/OFFSET (what it avoids)",
        ["list", "items skipped", "keyset median ms", "OFFSET median ms", "OFFSET / keyset"],
        sql_rows,
    )
    print_table(
        "Plans of the views' own queries on this data (EXPLAIN ANALYZE)",
        ["list", "items skipped", "scan", "rows read", "execution ms"],
        plan_rows,
    )
    conn.close()


def _view_plan(conn, table: str, index: str, tenant: str, room: int, key: PageKey | None) -> tuple:
    with conn.cursor() as cur:
        explain = ExplainingCursor(cur, analyze=True)
        if table == "chat_rooms":
            views.rooms_page(explain, tenant=tenant, after=key, size=PAGE + 1)
        else:
            views.messages_page(explain, tenant=tenant, room_id=room, before=key, size=PAGE + 1)
    scan = index_scan(explain.plan, index)
    if scan is None:
        return f"NOT the index: {explain.plan['Node Type']}", "", explain.execution_ms
    return f"{scan['Node Type']} using {index}", scan["Actual Rows"], explain.execution_ms


def _seed(conn, tenant: str, rooms: int, messages: int) -> int:
    """Bulk rows of the tenant (plus a neighbour tenant, so the index holds more than one); the big room's id."""
    with conn.cursor() as cur:
        for owner, count in ((tenant, rooms), (tenant + "-neighbour", rooms // 10)):
            cur.execute(
                """
                INSERT INTO chat_rooms (chat_id, user_token, contact_jid, contact_name, chat_type, is_group,
                                        last_message, last_sender, last_activity, unread_count)
                SELECT %(t)s || '_62' || g || '@s.whatsapp.net', %(t)s, '62' || g || '@s.whatsapp.net',
                       'Contact ' || g, 'individual', false, 'message ' || g, 'contact',
                       timestamptz '2026-11-26 12:00:00+00' - (g / 3) * interval '1 second', g %% 4
                  FROM generate_series(1, %(n)s) g
                """,
                {"t": owner, "n": count},
            )
        cur.execute(
            "SELECT id, chat_id, contact_jid FROM chat_rooms WHERE user_token = %s "
            "ORDER BY last_activity DESC, id DESC LIMIT 1",
            (tenant,),
        )
        room_id, chat_id, jid = cur.fetchone()
        cur.execute(
            """
            INSERT INTO chat_messages (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,
                                       message_type, content, status, message_timestamp)
            SELECT 'bench-' || g, %(room)s, %(chat)s, %(t)s, %(jid)s,
                   (ARRAY['contact', 'ai', 'user'])[1 + g %% 3], 'text', 'bubble number ' || g, 'received',
                   timestamptz '2026-11-26 12:00:00+00' - (g / 3) * interval '1 second'
              FROM generate_series(1, %(n)s) g
            """,
            {"room": room_id, "chat": chat_id, "t": tenant, "jid": jid, "n": messages},
        )
        cur.execute("ANALYZE chat_rooms")
        cur.execute("ANALYZE chat_messages")
    return room_id


def _where(table: str, tenant: str, room: int) -> tuple[str, dict]:
    if table == "chat_rooms":
        return "user_token = %(tenant)s", {"tenant": tenant}
    return "chat_room_id = %(room)s AND user_token = %(tenant)s", {"tenant": tenant, "room": room}


def _key_at(conn, table: str, order: str, tenant: str, room: int, position: int) -> PageKey:
    """The key of the row at ``position`` (0-based) of the list: a cursor pointing right after it."""
    where, params = _where(table, tenant, room)
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT {order}, id FROM {table} WHERE {where} ORDER BY {order} DESC, id DESC OFFSET %(position)s LIMIT 1",
            params | {"position": position},
        )
        return PageKey(*cur.fetchone())


def _sql_page(
    conn, table: str, order: str, tenant: str, room: int, *, key: PageKey | None = None, offset: int = 0
) -> None:
    where, params = _where(table, tenant, room)
    if key is not None:
        where += f" AND ({order}, id) < (%(at)s, %(id)s)"
        params |= {"at": key.at, "id": key.id}
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT * FROM {table} WHERE {where} ORDER BY {order} DESC, id DESC LIMIT {PAGE + 1} OFFSET %(offset)s",
            params | {"offset": offset},
        )
        cur.fetchall()


def _timed(repeats: int, works: list[Callable[[], object]]) -> list[list[float]]:
    """Milliseconds of each work, ``repeats`` times, taken in turns so the machine's noise hits all alike."""
    samples: list[list[float]] = [[] for _ in works]
    for work in works:
        work()  # warm: the first call pays for cold caches, not for the paging
    for _ in range(repeats):
        for work, times in zip(works, samples):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
    return samples
