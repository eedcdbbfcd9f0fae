"""One clock (docs/contracts.md, "The clock"): the database's now(), read from Python with
``chatbatch.db.transaction_time``; clock_timestamp() only for the change feed and the outbox."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import chatbatch
import psycopg2
import pytest
from chatbatch.db import transaction_time
from chatbatch.store import api_tokens

PACKAGE = Path(chatbatch.__file__).parent
ROOT = PACKAGE.parents[2]
SHIPPED = sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.sql"), *(ROOT / "functions").rglob("*.py")])
# The wall clock, where no database is involved: a secret's rotation age is Secrets Manager's CreatedDate against now.
WALL_CLOCK = {"secrets.py"}
LATE_STAMPS = {"migrations/0005_chat_room_changes.sql", "migrations/0015_job_retries.sql", "store/ai_jobs.py"}


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE if path.is_relative_to(PACKAGE) else ROOT))


def _hits(pattern: str) -> set[str]:
    return {_name(path) for path in SHIPPED if re.search(pattern, path.read_text(), re.IGNORECASE)}


def test_the_shipped_code_reads_no_other_clock():
    assert len(SHIPPED) > 50
    assert _hits(r"statement_timestamp|transaction_timestamp|current_timestamp|localtimestamp|timeofday") == set()
    assert _hits(r"datetime\.now\(|datetime\.utcnow\(|time\.time\(\)") == WALL_CLOCK


def test_clock_timestamp_stamps_only_the_change_feed_and_the_outbox():
    assert _hits(r"clock_timestamp\(\)") == LATE_STAMPS


def test_python_reads_the_database_clock_through_one_function():
    assert _hits(r"""["']SELECT now\(\)["']""") == {"db.py"}


@pytest.fixture
def cur(database_url):
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cursor:
            yield cursor
        conn.rollback()
    finally:
        conn.close()


def test_within_a_transaction_the_clock_stands_and_the_rows_written_carry_it(cur):
    # Given a transaction that has begun
    started = transaction_time(cur)
    cur.execute("SELECT pg_sleep(0.01)")  # the database's own time moves on inside it

    # When it writes a stamp and reads the clock again
    record = api_tokens.insert(
        cur, tenant=f"clock-{uuid.uuid4().hex[:8]}", token_hash=uuid.uuid4().bytes * 2, label=None, scope="read"
    )
    revoked = api_tokens.revoke(cur, token_id=record.id)

    # Then every reading is the transaction's start, and so is every stamp it wrote
    assert transaction_time(cur) == started
    assert record.created_at == revoked.revoked_at == started
    cur.execute("SELECT clock_timestamp()")
    assert cur.fetchone()[0] > started
