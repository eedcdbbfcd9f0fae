"""Tracing: a message's way through the api and the worker shows up as segments, one per use case and per call to
the LLM and the gateway, each inside the one that made it."""

from __future__ import annotations

from tests.support.tracing import recorded_segments
from tests.support.worker import burst_job, post_message, sqs_event
from tests.worker.test_worker_function import group_of, run

HANDLER = "## lambda_handler"
INGEST = "## chatbatch.services.ingest.ingest_message"
REPLY = "## chatbatch.services.reply.reply_to_job"
LLM_CALL = "## chatbatch.services.reply._ask_llm"
GATEWAY_SEND = "## chatbatch.services.reply._send_part"


def test_ingest_reply_llm_call_and_gateway_send_are_segments(
    worker, api_function, database_url, tenant, llm_server, gateway_server
):
    with recorded_segments() as trace:
        # Given a message received through the webhook
        post_message(api_function, tenant, "Halo, ada stok?")
        assert trace.names() == [HANDLER, INGEST]
        assert trace.parent_of(INGEST) == {HANDLER}

        # When its burst becomes a job and the worker answers it
        job_id = burst_job(api_function, database_url, tenant, ["Saya mau pesan"])
        assert run(worker, sqs_event((job_id, group_of(tenant)))) == []

    # Then the reply, its LLM call and its send are segments, nested as they ran
    assert trace.parent_of(REPLY) == {HANDLER}
    assert trace.parent_of(LLM_CALL) == {REPLY}
    assert trace.parent_of(GATEWAY_SEND) == {REPLY}
    assert trace.names().count(REPLY) == 1


def test_tracing_off_records_nothing(worker, api_function, tenant):
    from chatbatch.observability import tracer

    assert tracer.active is None  # the tests run as locally: POWERTOOLS_TRACE_DISABLED, outside Lambda
    with recorded_segments() as trace:
        tracer.use(None)
        post_message(api_function, tenant, "Halo")
    assert trace.names() == []
