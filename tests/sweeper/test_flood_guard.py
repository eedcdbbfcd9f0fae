"""One customer floods a chat with 1,000 bubbles in a minute: the sweeper batches them, the worker answers, and
the LLM is asked at most ``max_replies_per_hour`` times — the bound this project states for a flood (a chat's
jobs run one after another, so each sees every earlier one). Every bubble ends in a job, every job ends done or
skipped with its reason. Real Postgres, the real webhook, the sweeper and worker use cases, a local SQS, a
loopback OpenAI-compatible LLM and gateway."""

from __future__ import annotations

from chatbatch.adapters.gateway import HttpGateway
from chatbatch.adapters.llm import OpenAiLlm
from chatbatch.domain.cost_guards import OVER_BUDGET
from chatbatch.services.reply import deliver
from chatbatch.services.sweep import SweepPolicy, sweep

from tests.support.worker import POLICY, gateway_answer, http_peer, openai_answer, post_message
from tests.worker.test_tenant_policy import own_settings

BUBBLES, SECONDS, STEPS = 1000, 60, 10
CAP = 5  # the tenant's max_replies_per_hour


def test_a_thousand_bubbles_in_a_minute_cost_at_most_the_hourly_cap_of_llm_calls(
    api_function, make_settings, sqs_queue, db, queue, chats, pg, tenant
):
    settings = make_settings(debounce_seconds=3, max_wait_seconds=30, max_batch_messages=50)
    own_settings(pg, tenant, max_replies_per_hour=CAP)
    with http_peer(openai_answer) as llm_peer, http_peer(gateway_answer) as gateway_peer:
        llm = OpenAiLlm(base_url=f"{llm_peer.url}/v1", model="m", api_key="k", timeout=5, max_retries=0)
        gateway = HttpGateway(url=f"{gateway_peer.url}/send/message", token="t", timeout=5)

        def sweep_and_answer() -> int:
            sweep(db, sqs_queue, SweepPolicy.from_settings(settings))
            job_ids = queue.job_ids(tenant)
            for job_id in job_ids:
                outcome = deliver(db, job_id, llm=llm, gateway=gateway, policy=POLICY, receives=1)
                assert outcome.finished, outcome
            return len(job_ids)

        # Given a customer sending 100 bubbles every 6 seconds for a minute (the clock moved, not waited for)
        for step in range(STEPS):
            for n in range(BUBBLES // STEPS):
                post_message(api_function, tenant, f"spam {step}-{n}")
            sweep_and_answer()
            chats.time_passes(SECONDS / STEPS)
        # When the chat falls quiet and the sweeper has batched everything left
        chats.time_passes(SECONDS)
        while sweep_and_answer():
            pass

        asked, sent = len(llm_peer.requests), len(gateway_peer.requests)

    # Then the LLM was asked CAP times, each answer sent once; every other job was skipped over budget
    jobs = chats.jobs()
    statuses = [j["status"] for j in jobs]
    assert asked == sent == CAP
    assert statuses.count("done") == CAP and statuses.count("skipped") == len(jobs) - CAP
    with pg.cursor() as cur:
        cur.execute("SELECT error FROM ai_jobs WHERE session_tok = %s AND status = 'skipped'", (tenant,))
        assert all(error.startswith(OVER_BUDGET) for (error,) in cur.fetchall())
        # and no bubble was lost: every one is in exactly one job
        cur.execute(
            "SELECT count(*), count(batch_id) FROM ai_chat_messages WHERE session_tok = %s AND NOT from_me",
            (tenant,),
        )
        assert cur.fetchone() == (BUBBLES, BUBBLES)
    assert sum(j["batch_size"] for j in jobs) == BUBBLES
    assert len(jobs) > CAP  # the flood really made more bursts than the cap lets through
