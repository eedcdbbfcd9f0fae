"""The reply use case with fake ports and the real Postgres: leases, terminal jobs, the schema's guard."""

from __future__ import annotations

import psycopg2
import pytest
from chatbatch.db import Database
from chatbatch.services.reply import JobBusy, JobNotFound, fail_job, reply_to_job

from tests.support.worker import POLICY, FakeGateway, FakeLlm, burst_job, history, job


@pytest.fixture
def db(database_url):
    database = Database(lambda: {"dsn": database_url})
    yield database
    database.close()


def test_a_concurrent_duplicate_delivery_backs_off_while_the_first_holds_the_job(
    db, api_function, database_url, pg, session_tok
):
    job_id = burst_job(api_function, database_url, session_tok, ["Halo"])
    duplicate = Database(lambda: {"dsn": database_url})
    busy: list[Exception] = []

    def second_delivery_arrives():
        try:
            reply_to_job(duplicate, job_id, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)
        except JobBusy as exc:
            busy.append(exc)

    gateway = FakeGateway()
    outcome = reply_to_job(db, job_id, llm=FakeLlm(during_call=second_delivery_arrives), gateway=gateway, policy=POLICY)
    duplicate.close()

    assert len(busy) == 1 and outcome.result == "done"
    assert len(gateway.sent) == 1 and job(pg, job_id)["attempts"] == 1


def test_a_reply_saved_by_the_log_gateway_gets_a_stable_generated_id_and_latency(
    db, api_function, database_url, pg, session_tok
):
    job_id = burst_job(api_function, database_url, session_tok, ["Halo", "Saya mau"])

    outcome = reply_to_job(db, job_id, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)

    assert outcome.reply_latency_seconds is not None and outcome.reply_latency_seconds >= 0
    assert history(pg, session_tok)[-1] == ("ai", f"chatbatch-reply-{job_id}", "re: Halo\nSaya mau")


def test_fail_job_leaves_a_finished_job_alone(db, api_function, database_url, pg, session_tok):
    job_id = burst_job(api_function, database_url, session_tok, ["Halo"])
    reply_to_job(db, job_id, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)

    assert fail_job(db, job_id, error="late") is False
    assert job(pg, job_id)["status"] == "done"


def test_an_unknown_job_is_a_clear_error(db):
    with pytest.raises(JobNotFound, match="job 999999999 does not exist"):
        reply_to_job(db, 999_999_999, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)


def test_the_schema_accepts_only_the_contracts_job_statuses(api_function, database_url, pg, session_tok):
    job_id = burst_job(api_function, database_url, session_tok, ["Halo"])

    with pytest.raises(psycopg2.errors.CheckViolation), pg.cursor() as cur:
        cur.execute("UPDATE ai_jobs SET status = 'sent' WHERE id = %s", (job_id,))
