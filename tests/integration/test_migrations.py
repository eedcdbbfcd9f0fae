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
