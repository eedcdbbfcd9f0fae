"""Ordered schema migrations: ``migrations/NNNN_name.sql``, each applied once, in its own transaction.

Safe when several processes start at once (two ``make dev``, concurrent Lambda cold starts, a deploy):
a session-level advisory lock serialises them, and each sees what the others applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg2
import psycopg2.extensions

from chatbatch.errors import DatabaseUnavailable

_LOCK_KEY = 7_312_046_051  # arbitrary, constant: "chatbatch migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, order=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    found = []
    for entry in resources.files("chatbatch.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found


def apply(conn: psycopg2.extensions.connection) -> list[Migration]:
    """Apply the pending migrations on ``conn``; returns those this call applied."""
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
        conn.commit()
        applied = []
        for migration in available():
            if migration.version in done:
                continue
            with conn.cursor() as cur:
                cur.execute(migration.sql)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
            conn.commit()
            applied.append(migration)
        return applied
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))


def apply_pending(**connect_params) -> list[Migration]:
    """THE way to migrate (CLI, migrate function, make dev, tests, bench): connect with
    ``psycopg2.connect(**connect_params)`` (e.g. ``dsn=...``), apply what is pending, close. Returns what this
    call applied. A database that cannot be reached raises ``DatabaseUnavailable``."""
    try:
        conn = psycopg2.connect(**connect_params)
    except psycopg2.OperationalError as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailable(f"cannot connect to the database: {first_line}") from exc
    try:
        return apply(conn)
    finally:
        conn.close()
