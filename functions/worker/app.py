"""worker function: SQS FIFO jobs → one AI reply each, through the gateway, saved to the chat history.

A failing record fails the rest of its chat's group in this batch (their order must hold) but never another
chat's. Every failed record is handed back to SQS with ChangeMessageVisibility: a failed attempt comes back after
a short backoff, a job waiting for a gateway's echo when that wait is over, a record not started (too little time
left, or skipped behind its group's failure) at once — never only after the queue's visibility timeout. On the
queue's last receive a failing job is marked 'failed' before the message goes to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from chatbatch.adapters.gateway import Gateway, gateway_from_settings
from chatbatch.adapters.llm import Llm, llm_from_settings
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import database_for
from chatbatch.errors import ChatbatchError
from chatbatch.observability import logger, metrics, tracer
from chatbatch.services.reply import (
    DATABASE_MARGIN_SECONDS,
    ReplyOutcome,
    ReplyPolicy,
    deliver,
    job_time_budget,
    record_outcome,
)
from chatbatch.settings import WorkerSettings, get_settings
from pydantic import BaseModel, ConfigDict

processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# A batch whose every record failed is still answered with the list of failures, not a Lambda error: SQS
# retries the same messages either way, and one chat's failing job should not trip the function's Errors alarm
# (the dead-letter queue's alarm is the signal for a job that keeps failing).
processor.raise_on_entire_batch_failure = False

# The current batch: how many records were started, and when each failed one should come back (message id →
# seconds; absent: at once).
_batch = {"started": 0}
_come_back_after: dict[str, float] = {}


class JobMessageBody(BaseModel):
    """The sweeper's message (docs/contracts.md). Only the job id is trusted: the job is reloaded from Postgres."""

    model_config = ConfigDict(extra="ignore")
    job_id: int


class JobNotFinished(ChatbatchError):
    """The record goes back to the queue: the job was handed back, or its attempt failed (see its outcome)."""

    code = "job_not_finished"


@lru_cache(maxsize=1)
def _ports() -> tuple[Llm, Gateway, ReplyPolicy, SqsJobQueue | None]:
    settings = get_settings(WorkerSettings)
    policy = ReplyPolicy(
        system_prompt=settings.system_prompt,
        history_limit=settings.history_context_messages,
        takeover_minutes=settings.human_takeover_minutes,
        reply_groups=settings.ai_reply_groups,
        lease=timedelta(seconds=settings.worker_job_lease_seconds),
        echo_wait=timedelta(seconds=settings.gateway_echo_wait_seconds),
        typing=settings.gateway_typing,
        send_seconds=settings.gateway_timeout_seconds + DATABASE_MARGIN_SECONDS,
        bot_enabled=settings.bot_enabled,  # LLM_MODEL is the adapter's own model; a tenant may name another
        max_replies_per_hour=settings.max_replies_per_hour,
        daily_token_budget=settings.daily_token_budget,
        max_receives=settings.worker_max_receives,
        job_seconds=job_budget(settings),
    )
    queue = SqsJobQueue.from_settings(settings) if settings.queue_url else None
    return llm_from_settings(settings), gateway_from_settings(settings), policy, queue


def job_budget(settings: WorkerSettings) -> float:
    return job_time_budget(
        llm_timeout=settings.llm_timeout_seconds,
        llm_max_retries=settings.llm_max_retries,
        gateway_timeout=settings.gateway_timeout_seconds,
    )


def reply_to_record(record: SQSRecord, lambda_context: LambdaContext | None = None) -> ReplyOutcome:
    job_id = JobMessageBody.model_validate_json(record.body).job_id
    logger.set_correlation_id(str(job_id))
    llm, gateway, policy, _ = _ports()
    outcome = deliver(
        database_for(get_settings(WorkerSettings)),
        job_id,
        llm=llm,
        gateway=gateway,
        policy=policy,
        receives=int(record.attributes.approximate_receive_count),
        first_in_batch=not _batch["started"],
        time_left=_time_left(lambda_context),
    )
    if outcome.result != "handed_back":
        _batch["started"] += 1
    record_outcome(outcome, metrics)
    log = {"retry": logger.warning, "failed": logger.error}.get(outcome.result, logger.info)
    log("job handled", extra={"job_id": job_id, "result": outcome.result, "reason": outcome.reason})
    if not outcome.finished:
        _come_back_after[record.message_id] = outcome.retry_after
        raise JobNotFinished(f"job {job_id} {outcome.result}: {outcome.reason}")
    return outcome


def _time_left(context: LambdaContext | None) -> Callable[[], float]:
    if context is None:
        return lambda: float("inf")
    return lambda: context.get_remaining_time_in_millis() / 1000


def _hand_back(event: dict, response: dict) -> None:
    """Each failed record comes back when it is worth trying again, not after the visibility timeout."""
    queue = _ports()[3]
    handles = {record["messageId"]: record["receiptHandle"] for record in event.get("Records", [])}
    for failure in response.get("batchItemFailures", []):
        message_id = failure["itemIdentifier"]
        seconds = _come_back_after.pop(message_id, 0.0)
        if queue is not None and message_id in handles:
            queue.retry_later(handles[message_id], seconds)
    _come_back_after.clear()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    _batch["started"] = 0
    response = process_partial_response(
        event=event, record_handler=reply_to_record, processor=processor, context=context
    )
    _hand_back(event, response)
    return response
