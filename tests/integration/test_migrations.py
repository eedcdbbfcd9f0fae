"""Schema migrations: each applied once, also when two processes start at once on an empty database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg2
from chatbatch import migrate

from tests.support.foundation import fresh_database


def applied_versions(dsn: str) -> list[int]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT version FROM schema_migrations ORDER BY version")
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def all_versions() -> list[int]:
    return [m.version for m in migrate.available()]


def test_applying_twice_is_a_no_op(database_url):
    with fresh_database(database_url) as dsn:
        first = migrate.apply_pending(dsn=dsn)
        second = migrate.apply_pending(dsn=dsn)

        assert [m.version for m in first] == all_versions()
        assert second == []
        assert applied_versions(dsn) == all_versions()


def test_two_concurrent_appliers_on_an_empty_database_apply_each_migration_once(database_url):
    # Given an empty database and two processes (cold starts, two `make dev`) that migrate at the same moment
    with fresh_database(database_url) as dsn:
        start = threading.Barrier(2)

        def apply_when_released() -> list[int]:
            conn = psycopg2.connect(dsn)
            try:
                start.wait(timeout=30)
                return [m.version for m in migrate.apply(conn)]
            finally:
                conn.close()

        # When both apply the migrations
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda _: apply_when_released(), range(2)))

        # Then both succeed, between them each migration was applied exactly once, and the schema is complete
        assert sorted(results[0] + results[1]) == all_versions()
        assert applied_versions(dsn) == all_versions()
        conn = psycopg2.connect(dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ANY(%s)",
                    (["ai_jobs", "ai_chat_messages", "chat_rooms", "chat_messages"],),
                )
                assert cur.fetchone() == (4,)
        finally:
            conn.close()


def test_replies_in_flight_when_the_parts_arrive_become_their_one_part_still_settled_by_their_echo(database_url):
    """A deploy of 0010_reply_parts while a reply was being handed to the gateway must not send it again."""
    with fresh_database(database_url) as dsn:
        conn = psycopg2.connect(dsn)
        try:
            # Given the schema before the parts, with a reply handed over (outcome unknown) and one sent long ago
            with conn.cursor() as cur:
                cur.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL)")
                for migration in (m for m in migrate.available() if m.version < 10):
                    cur.execute(migration.sql)
                    cur.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (migration.version, migration.name))
                cur.execute(
                    """
                    INSERT INTO ai_jobs (session_tok, chat_jid, status, batched_msg_ids, batch_size, reply,
                                         sending_at, reply_message_id, echo_message_id, reply_sent_at)
                    VALUES ('s', '6281@s.whatsapp.net', 'replied', '{}', 1, 'Halo kak', now(), NULL, '3EB0E1', NULL),
                           ('s', '6281@s.whatsapp.net', 'done', '{}', 1, 'Dulu', now() - interval '1 day',
                            '3EB0D0', NULL, now() - interval '1 day')
                    RETURNING id
                    """
                )
                in_flight, _long_done = (row[0] for row in cur.fetchall())
            conn.commit()

            # When the parts migration runs
            migrate.apply(conn)

            # Then the reply in flight is one part, handed over once, with its echo (a retry records it, never
            # resends it); the reply done a day ago needs no part
            with conn.cursor() as cur:
                cur.execute("SELECT job_id, status, handovers, echo_ids, text FROM reply_parts ORDER BY job_id")
                assert cur.fetchall() == [(in_flight, "sending", 1, ["3EB0E1"], "Halo kak")]
        finally:
            conn.close()
