"""Cost guards in the worker: over a chat's hourly cap or a tenant's daily token budget the job is skipped with
its reason — no LLM call, nothing sent — and JobsOverBudget is recorded; the tokens counted are the LLM's own
usage report, stored per job. Real Postgres, the worker function, a loopback OpenAI-compatible server."""

from __future__ import annotations

from chatbatch.db import Database
from chatbatch.domain.api_tokens import Scope
from chatbatch.services import api_tokens
from chatbatch.services.reply import ReplyOutcome, record_outcome

from tests.console.conftest import call, room_of
from tests.support.worker import CONTACT, burst_job, job, sqs_event
from tests.worker.test_tenant_policy import own_settings
from tests.worker.test_worker_function import group_of, run

OTHER_CHAT = "6289876543210@s.whatsapp.net"


class MetricsList:
    def __init__(self) -> None:
        self.names: list[str] = []

    def add_metric(self, name, unit, value) -> None:
        self.names.append(name)

    def flush_metrics(self) -> None:
        pass


def answer(worker, api_function, database_url, tenant, text: str, chat: str = CONTACT) -> int:
    job_id = burst_job(api_function, database_url, tenant, [text], chat=chat)
    assert run(worker, sqs_event((job_id, group_of(tenant, chat)))) == []
    return job_id


def test_a_chat_over_its_hourly_cap_is_skipped_without_an_llm_call_and_other_chats_go_on(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    # Given a tenant whose chats may get two LLM replies an hour
    own_settings(pg, tenant, max_replies_per_hour=2)
    answered = [answer(worker, api_function, database_url, tenant, f"pesan {n}") for n in (1, 2)]

    # When the chat's third burst comes within the hour
    third = answer(worker, api_function, database_url, tenant, "pesan 3")

    # Then it is skipped with the reason, and neither the LLM nor the gateway heard of it
    assert [job(pg, j)["status"] for j in answered] == ["done", "done"]
    skipped = job(pg, third)
    assert skipped["status"] == "skipped" and skipped["llm_asked_at"] is None
    assert skipped["error"] == "over budget: this chat got 2 LLM replies in the last hour (max_replies_per_hour 2)"
    assert len(llm_server.requests) == len(gateway_server.requests) == 2
    # and another chat of the tenant is still answered
    assert job(pg, answer(worker, api_function, database_url, tenant, "halo", OTHER_CHAT))["status"] == "done"
    # and an hour later the chat is answered again
    with pg.cursor() as cur:
        cur.execute("UPDATE ai_jobs SET llm_asked_at = now() - interval '61 minutes' WHERE id = ANY(%s)", (answered,))
    assert job(pg, answer(worker, api_function, database_url, tenant, "pesan 4"))["status"] == "done"


def test_a_tenant_over_its_daily_token_budget_is_skipped_in_every_chat(
    worker, api_function, database_url, pg, tenant, llm_server
):
    # Given a budget of 100 tokens; the LLM reports 42 + 7 = 49 tokens per reply
    own_settings(pg, tenant, daily_token_budget=100, time_zone="Asia/Jakarta")
    first, second = (answer(worker, api_function, database_url, tenant, t) for t in ("satu", "dua"))
    used = [(job(pg, j)["llm_tokens_in"], job(pg, j)["llm_tokens_out"]) for j in (first, second)]

    # When a third burst comes (98 tokens spent: under 100, so it is asked), then a fourth (147: over)
    third = answer(worker, api_function, database_url, tenant, "tiga")
    fourth = answer(worker, api_function, database_url, tenant, "empat", OTHER_CHAT)

    assert used == [(42, 7), (42, 7)]  # the LLM's own usage, stored per job
    assert job(pg, third)["status"] == "done"
    assert job(pg, fourth)["status"] == "skipped"
    assert job(pg, fourth)["error"] == "over budget: the tenant used 147 LLM tokens today (daily_token_budget 100)"
    assert len(llm_server.requests) == 3


def test_an_over_budget_skip_is_shown_in_the_chats_jobs(worker, api_function, database_url, pg, tenant):
    own_settings(pg, tenant, max_replies_per_hour=1)
    answer(worker, api_function, database_url, tenant, "satu")
    skipped = answer(worker, api_function, database_url, tenant, "dua")
    db = Database(lambda: {"dsn": database_url})
    token = api_tokens.create_token(db, tenant, label="Ani", scope=Scope.READ).token
    db.close()

    status, page = call(api_function, "GET", f"/chat-rooms/{room_of(pg, tenant)}/jobs", token)

    assert status == 200
    newest = page["items"][0]
    assert (newest["id"], newest["status"]) == (skipped, "skipped") and newest["error"].startswith("over budget:")


def test_the_worker_records_jobs_over_budget_and_nothing_else_for_such_a_skip():
    metrics = MetricsList()

    record_outcome(ReplyOutcome(1, "skipped", reason="over budget: the tenant used 9 LLM tokens today"), metrics)
    record_outcome(ReplyOutcome(2, "skipped", reason="the bot is off for this tenant"), metrics)

    assert metrics.names == ["JobsOverBudget"]
