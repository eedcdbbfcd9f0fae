"""worker function: SQS FIFO jobs → one AI reply each, through the gateway, saved to the chat history.

A failing record fails the rest of its chat's group in this batch (their order must hold) but never another
chat's; SQS redelivers them. On the queue's last receive a failing job is marked 'failed' before the message
goes to the dead-letter queue.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from chatbatch.adapters.gateway import Gateway, gateway_from_settings
from chatbatch.adapters.llm import Llm, llm_from_settings
from chatbatch.db import database_for
from chatbatch.observability import MetricName, logger, metrics, tracer
from chatbatch.services.reply import JobBusy, ReplyOutcome, ReplyPolicy, fail_job, reply_to_job
from chatbatch.settings import worker_settings
from pydantic import BaseModel, ConfigDict

processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# A batch whose every record failed is still answered with the list of failures, not a Lambda error: SQS
# retries the same messages either way, and one chat's failing job should not trip the function's Errors alarm
# (the dead-letter queue's alarm is the signal for a job that keeps failing).
processor.raise_on_entire_batch_failure = False


class JobMessageBody(BaseModel):
    """The sweeper's message (CONTRACTS.md). Only the job id is trusted: the job is reloaded from Postgres."""

    model_config = ConfigDict(extra="ignore")
    job_id: int


@lru_cache(maxsize=1)
def _ports() -> tuple[Llm, Gateway, ReplyPolicy]:
    settings = worker_settings()
    policy = ReplyPolicy(
        system_prompt=settings.system_prompt,
        history_limit=settings.history_context_messages,
        takeover_minutes=settings.human_takeover_minutes,
        reply_groups=settings.ai_reply_groups,
        lease=timedelta(seconds=settings.worker_job_lease_seconds),
        bot_enabled=settings.bot_enabled,  # LLM_MODEL is the adapter's own model; a tenant may name another
    )
    return llm_from_settings(settings), gateway_from_settings(settings), policy


def reply_to_record(record: SQSRecord) -> ReplyOutcome:
    job_id = JobMessageBody.model_validate_json(record.body).job_id
    logger.set_correlation_id(str(job_id))
    settings = worker_settings()
    db = database_for(settings)
    llm, gateway, policy = _ports()
    try:
        outcome = reply_to_job(db, job_id, llm=llm, gateway=gateway, policy=policy)
    except JobBusy:
        logger.info("job held by another delivery; retrying later", extra={"job_id": job_id})
        raise  # never fail a job here: the delivery holding it finishes or fails it itself
    except Exception as exc:
        metrics.add_metric(name=MetricName.REPLY_FAILURES.value, unit=MetricUnit.Count, value=1)
        receives = int(record.attributes.approximate_receive_count)
        if receives >= settings.worker_max_receives:
            failed = fail_job(db, job_id, error=f"gave up after {receives} receives: {exc}")
            logger.error("job failed for good", extra={"job_id": job_id, "receives": receives, "marked": failed})
        else:
            logger.warning(
                "job attempt failed; the queue will retry",
                extra={"job_id": job_id, "receives": receives, "error": type(exc).__name__},
            )
        raise
    _record_metrics(outcome)
    logger.info("job handled", extra={"job_id": job_id, "result": outcome.result, "reason": outcome.reason})
    return outcome


def _record_metrics(outcome: ReplyOutcome) -> None:
    if outcome.completion is not None:
        metrics.add_metric(
            name=MetricName.LLM_LATENCY.value, unit=MetricUnit.Milliseconds, value=outcome.completion.latency_ms
        )
        metrics.add_metric(
            name=MetricName.LLM_TOKENS_IN.value, unit=MetricUnit.Count, value=outcome.completion.tokens_in
        )
        metrics.add_metric(
            name=MetricName.LLM_TOKENS_OUT.value, unit=MetricUnit.Count, value=outcome.completion.tokens_out
        )
    if outcome.result == "done":
        metrics.add_metric(name=MetricName.REPLIES_SENT.value, unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name=MetricName.REPLY_LATENCY.value, unit=MetricUnit.Seconds, value=outcome.reply_latency_seconds
        )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=reply_to_record, processor=processor, context=context)
