"""The reply use case with fake ports and the real Postgres: leases, terminal jobs, the schema's guard."""

from __future__ import annotations

from dataclasses import replace

import psycopg2
import pytest
from chatbatch.db import Database
from chatbatch.errors import DatabaseUnavailable
from chatbatch.services.reply import JobBusy, JobNotFound, SendOutcomeUnknown, deliver, fail_job, reply_to_job

from tests.support.worker import POLICY, FakeGateway, FakeLlm, burst_job, history, job, post_message


def test_a_concurrent_duplicate_delivery_backs_off_while_the_first_holds_the_job(
    db, api_function, database_url, pg, tenant
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
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
    db, api_function, database_url, pg, tenant
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo", "Saya mau"])

    outcome = reply_to_job(db, job_id, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)

    assert outcome.reply_latency_seconds is not None and outcome.reply_latency_seconds >= 0
    assert history(pg, tenant)[-1] == ("ai", f"chatbatch-reply-{job_id}", "re: Halo\nSaya mau")


def test_fail_job_leaves_a_finished_job_alone(db, api_function, database_url, pg, tenant):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    reply_to_job(db, job_id, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)

    assert fail_job(db, job_id, error="late") is False
    assert job(pg, job_id)["status"] == "done"


def test_an_unknown_job_is_a_clear_error(db):
    with pytest.raises(JobNotFound, match="job 999999999 does not exist"):
        reply_to_job(db, 999_999_999, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)


def test_the_schema_accepts_only_the_contracts_job_statuses(api_function, database_url, pg, tenant):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])

    with pytest.raises(psycopg2.errors.CheckViolation), pg.cursor() as cur:
        cur.execute("UPDATE ai_jobs SET status = 'sent' WHERE id = %s", (job_id,))


class CommitLostAfterSend:
    """The real database, except that the transaction recording a part the gateway accepted fails: the commit
    after the send is lost (a database blip, or the process dying right there)."""

    def __init__(self, db: Database, gateway: FakeGateway) -> None:
        self.db, self.gateway, self.armed = db, gateway, True

    def transaction(self, work):
        if self.armed and self.gateway.sent:
            self.armed = False
            raise DatabaseUnavailable("the commit after the send was lost")
        return self.db.transaction(work)


class EchoingGateway(FakeGateway):
    """Sends, and the gateway's echo of the message reaches the webhook before the answer."""

    def __init__(self, api_function, tenant: str) -> None:
        super().__init__()
        self.api_function, self.tenant = api_function, tenant

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None):
        from chatbatch.adapters.gateway import SentMessage

        super().send(tenant=tenant, to=to, text=text)
        post_message(self.api_function, self.tenant, text, from_me=True, message_id=f"3EB0ECHO{len(self.sent)}")
        return SentMessage("3EB0ANSWER")


def test_a_lost_commit_after_the_send_never_sends_the_part_again(db, api_function, database_url, pg, tenant):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    gateway = EchoingGateway(api_function, tenant)

    with pytest.raises(DatabaseUnavailable):
        reply_to_job(CommitLostAfterSend(db, gateway), job_id, llm=FakeLlm(), gateway=gateway, policy=POLICY)
    assert job(pg, job_id)["status"] == "replied"

    outcome = reply_to_job(db, job_id, llm=FakeLlm(), gateway=gateway, policy=POLICY)  # the queue's retry

    assert outcome.result == "done" and len(gateway.sent) == 1
    assert history(pg, tenant)[-1] == ("ai", "3EB0ECHO1", "re: Halo")  # the echo's id: the answer was lost


def test_a_lost_commit_without_an_echo_yet_is_not_sent_again_within_the_echo_wait(
    db, api_function, database_url, pg, tenant
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    gateway = FakeGateway()
    with pytest.raises(DatabaseUnavailable):
        reply_to_job(CommitLostAfterSend(db, gateway), job_id, llm=FakeLlm(), gateway=gateway, policy=POLICY)

    with pytest.raises(SendOutcomeUnknown) as raised:
        reply_to_job(db, job_id, llm=FakeLlm(), gateway=gateway, policy=POLICY)

    assert len(gateway.sent) == 1 and 55 < raised.value.retry_after <= 60


class BrokenLlm(FakeLlm):
    def complete(self, prompt, *, model=None):
        raise RuntimeError("the LLM is down")


@pytest.mark.parametrize(("receives", "result", "status"), [(4, "retry", "generating"), (5, "failed", "failed")])
def test_a_failed_attempt_is_retried_until_the_queues_last_receive_then_the_use_case_gives_the_job_up(
    db, api_function, database_url, pg, tenant, receives, result, status
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    policy = replace(POLICY, max_receives=5)

    outcome = deliver(db, job_id, llm=BrokenLlm(), gateway=FakeGateway(), policy=policy, receives=receives)

    assert outcome.result == result and not outcome.finished
    assert job(pg, job_id)["status"] == status and "the LLM is down" in job(pg, job_id)["error"]
    if result == "failed":
        assert job(pg, job_id)["error"].startswith("gave up after 5 receives: RuntimeError")
    else:
        assert outcome.retry_after > 0  # the queue's backoff, not at once


def test_a_later_record_is_handed_back_untouched_when_the_jobs_worst_case_no_longer_fits(
    db, api_function, database_url, pg, tenant
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    llm = FakeLlm()

    outcome = deliver(
        db,
        job_id,
        llm=llm,
        gateway=FakeGateway(),
        policy=replace(POLICY, job_seconds=60),
        receives=1,
        first_in_batch=False,
        time_left=lambda: 59.0,
    )

    assert (outcome.result, outcome.retry_after) == ("handed_back", 0.0)
    assert llm.prompts == [] and job(pg, job_id)["attempts"] == 0
