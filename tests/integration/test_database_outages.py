"""A database that went away: reconnected transparently between invocations; while down, 503 and nothing written."""

from __future__ import annotations

import psycopg2
import pytest
from chatbatch.db import close_cached_databases, database_for
from chatbatch.settings import ApiSettings, get_settings
from chatbatch_local.postgres import free_port

from tests.support import invoke, load_event, webhook_event
from tests.support.foundation import counts, message


@pytest.fixture
def database_down(monkeypatch, reset_settings):
    """The api function's settings point at a loopback port nothing listens on (a fresh container)."""
    close_cached_databases()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://chatbatch@127.0.0.1:{free_port()}/chatbatch")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")
    yield
    close_cached_databases()


def backend_pid_of_the_api_function() -> int:
    return database_for(get_settings(ApiSettings)).connection().get_backend_pid()


def test_a_connection_killed_between_invocations_is_replaced_transparently(api_function, pg, tenant):
    # Given a warm container whose cached connection the database then killed (failover, idle timeout)
    assert invoke(api_function, webhook_event(message(tenant, "before")))[0] == 200
    killed = backend_pid_of_the_api_function()
    with pg.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s, 5000)", (killed,))
        assert cur.fetchone() == (True,)

    # When the next webhook arrives
    status, body = invoke(api_function, webhook_event(message(tenant, "after")))

    # Then it is answered and stored on a new connection
    assert (status, body["status"]) == (200, "accepted")
    assert counts(pg, tenant) == (2, 1, 2)
    assert backend_pid_of_the_api_function() != killed


def test_while_the_database_is_down_the_webhook_answers_503_and_writes_nothing(api_function, database_down, pg, tenant):
    # Given the database cannot be reached (database_down)
    # When the gateway posts a message
    status, body = invoke(api_function, webhook_event(message(tenant, "m1")))

    # Then it gets a 503 it can retry on, with a JSON error, and nothing is stored
    assert (status, body["error"]) == (503, "database_unavailable")
    assert "cannot connect to the database" in body["message"]
    assert counts(pg, tenant) == (0, 0, 0)


def test_while_the_database_is_down_health_answers_without_it_and_the_deep_check_answers_503(
    api_function, database_down
):
    shallow = invoke(api_function, load_event("health.json"))
    status, body = invoke(api_function, load_event("health_deep.json"))

    assert shallow == (200, {"status": "ok"})  # no database call: a probe never costs a connection
    assert (status, body["error"]) == (503, "database_unavailable")


@pytest.fixture
def short_statement_timeout(monkeypatch, reset_settings):
    """The api function's connections give up on a statement after 300 ms (a fresh container)."""
    close_cached_databases()
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "300")
    yield
    close_cached_databases()


def test_a_database_too_busy_to_answer_in_time_gets_503_and_the_message_is_not_half_written(
    api_function, short_statement_timeout, database_url, pg, tenant
):
    # Given a chat whose room row another transaction holds locked for longer than the statement timeout
    assert invoke(api_function, webhook_event(message(tenant, "first")))[0] == 200
    blocker = psycopg2.connect(database_url)
    try:
        with blocker.cursor() as cur:
            cur.execute("SELECT id FROM chat_rooms WHERE user_token = %s FOR UPDATE", (tenant,))

            # When the next message of that chat arrives
            status, body = invoke(api_function, webhook_event(message(tenant, "second")))
    finally:
        blocker.rollback()
        blocker.close()

    # Then the gateway gets a 503 to retry on, and none of the second message was kept
    assert (status, body["error"]) == (503, "database_unavailable")
    assert "did not answer in time" in body["message"]
    assert counts(pg, tenant) == (1, 1, 1)
    # And the retry, once the lock is gone, is stored
    assert invoke(api_function, webhook_event(message(tenant, "second")))[1]["status"] == "accepted"
    assert counts(pg, tenant) == (2, 1, 2)
