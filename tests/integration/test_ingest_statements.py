"""Statements per webhook message, as the database counts them (pg_stat_statements, BEGIN and COMMIT included):
a customer's message, its room and its history row are written by one statement; a retry is one statement too."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from chatbatch.db import Database
from chatbatch.domain.messages import parse_webhook
from chatbatch.services.ingest import ingest_message

from bench.statement_counts import StatementCounter, Unavailable
from tests.support.foundation import BUSINESS, CONTACT, counts, message

GROUP = "120363025246125486@g.us"


@pytest.fixture
def counted(database_url):
    """A warm container's Database whose statements are counted, and the counter."""
    try:
        counter = StatementCounter(database_url)
    except Unavailable as why:
        pytest.skip(str(why))
    db = Database(counter.connect_params)
    yield db, counter
    db.close()
    counter.close()


def statements(counted, payload: dict, *, reply_groups: bool = False) -> tuple[int, str]:
    db, counter = counted
    results = []
    sent = counter.count(lambda: results.append(ingest_message(db, parse_webhook(payload), reply_groups=reply_groups)))
    return sent, results[0].status


def test_a_customers_message_is_one_statement_and_its_retry_one(counted, pg, tenant):
    # Given a warm container (its connection open, its statement prepared by an earlier message)
    statements(counted, message(tenant, "warm-up", **{"from": "6289999@s.whatsapp.net"}))

    # When a chat's first message, its next one, and a retry of it arrive
    first = statements(counted, message(tenant, "m1", timestamp=1795694400))
    second = statements(counted, message(tenant, "m2", timestamp=1795694401))
    retry = statements(counted, message(tenant, "m2", timestamp=1795694401))

    # Then each took one statement (no BEGIN, no COMMIT), and all three tables hold both messages
    assert (first, second, retry) == ((1, "accepted"), (1, "accepted"), (1, "duplicate"))
    assert counts(pg, tenant) == (3, 2, 3)


def test_a_group_message_reads_the_tenants_switch_in_the_same_statement(counted, pg, tenant):
    with pg.cursor() as cur:
        cur.execute("INSERT INTO tenant_settings (session_tok, ai_reply_groups) VALUES (%s, true)", (tenant,))
    payload = message(tenant, "g1", **{"from": GROUP, "participant": "628777@s.whatsapp.net"})

    assert statements(counted, payload) == (1, "accepted")


def test_a_business_message_is_two_statements_and_its_retry_one(counted, tenant):
    # Given a chat with a customer's message
    statements(counted, message(tenant, "m1"))
    own = message(tenant, "own-1", **{"from": BUSINESS, "to": CONTACT, "from_me": True, "body": "Siap kak"})

    # When a human on the business side writes (a takeover), and the gateway retries it
    # Then one read (stored already? an echo?) and the one statement; the retry stops at the read
    assert statements(counted, own) == (2, "accepted")
    assert statements(counted, own) == (1, "duplicate")


def test_the_echo_of_a_staff_reply_is_two_statements_and_its_retry_one(counted, pg, tenant):
    # Given a chat where an operator just sent a staff reply from the console
    db, _ = counted
    ingest_message(db, parse_webhook(message(tenant, "m1")), reply_groups=False)
    with pg.cursor() as cur:
        cur.execute(
            "INSERT INTO chat_messages (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,"
            "                           content, status, message_timestamp, sent_by)"
            " SELECT 'chatbatch-staff-1', id, chat_id, user_token, %s, 'user', 'Kami cek dulu', 'sent', now(), 'ana'"
            "   FROM chat_rooms WHERE chat_id = %s",
            (BUSINESS, f"{tenant}_{CONTACT}"),
        )
    echo = message(tenant, "echo-1", **{"from": BUSINESS, "to": CONTACT, "from_me": True, "body": "Kami cek dulu"})

    # When the gateway echoes it, and retries the echo
    # Then one read and one statement that stores the echo and marks the staff reply echoed; the retry, one read
    assert statements(counted, echo) == (2, "accepted")
    assert statements(counted, echo) == (1, "duplicate")
    with pg.cursor() as cur:
        cur.execute(
            "SELECT echo_message_id FROM chat_messages WHERE user_token = %s AND sent_by IS NOT NULL", (tenant,)
        )
        assert cur.fetchone() == ("echo-1",)
    assert counts(pg, tenant) == (2, 1, 2)  # the echo is not a second history message


@pytest.mark.slow  # a Postgres cluster of its own
def test_a_server_without_pg_stat_statements_says_the_count_was_skipped(capsys):
    # Given a server that does not load pg_stat_statements (as a Postgres without the contrib module)
    from chatbatch import migrate
    from chatbatch_local.postgres import LocalPostgres

    from bench.bench_ingest import _count_sql

    tmp = tempfile.mkdtemp(prefix="chatbatch-test-pg-")
    os.chmod(tmp, 0o755)
    cluster = LocalPostgres(Path(tmp) / "data", durable=False, server_options=("shared_preload_libraries=''",))
    try:
        cluster.start()
        migrate.apply_pending(dsn=cluster.dsn)

        # When statements are to be counted, and when the benchmark counts them
        with pytest.raises(Unavailable) as why:
            StatementCounter(cluster.dsn)
        _count_sql(cluster.dsn)
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    # Then the counter says why it cannot, and the benchmark prints "n/a" with that reason instead of a number
    assert "pg_stat_statements is not loaded" in str(why.value)
    out = capsys.readouterr().out
    assert "| n/a " in out
    assert "(statements not counted: pg_stat_statements is not loaded" in out


@pytest.mark.parametrize(("prepared", "held"), [(True, 1), (False, 0)])
def test_behind_rds_proxy_the_ingest_statement_is_not_prepared_and_still_one(database_url, tenant, prepared, held):
    # Given a container whose settings allow prepared statements, or forbid them (DB_PREPARED_STATEMENTS=false:
    # RDS Proxy pins a client that prepares one)
    try:
        counter = StatementCounter(database_url)
    except Unavailable as why:
        pytest.skip(str(why))
    db = Database(counter.connect_params, prepared_statements=prepared)
    try:
        # When messages arrive
        sent = [
            counter.count(lambda i=i: ingest_message(db, parse_webhook(message(tenant, f"m{i}")), reply_groups=False))
            for i in range(3)
        ]
        kept = db.statements(_prepared_count)
    finally:
        db.close()
        counter.close()

    # Then each is one statement either way, and the connection holds a prepared statement only when allowed
    assert sent == [1, 1, 1]
    assert kept == held


def _prepared_count(cur) -> int:
    cur.execute("SELECT count(*) FROM pg_prepared_statements")
    return cur.fetchone()[0]
