"""sweeper function: every minute (EventBridge schedule) it sweeps every SWEEP_INTERVAL_SECONDS until
shortly before its timeout; ready chats become one job each on the SQS FIFO queue."""

from dataclasses import asdict
from functools import lru_cache

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import database_for
from chatbatch.observability import logger, metrics, tracer
from chatbatch.services.sweep import SweepPolicy, run_sweeps
from chatbatch.settings import SweeperSettings, get_settings


@lru_cache(maxsize=1)
def job_queue_for(settings: SweeperSettings) -> SqsJobQueue:
    """One SQS client per warm container (per settings: tests change them)."""
    return SqsJobQueue.from_settings(settings)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=EventBridgeModel)
def lambda_handler(event: EventBridgeModel, context: LambdaContext) -> dict:
    settings = get_settings(SweeperSettings)
    summary = run_sweeps(
        database_for(settings),
        job_queue_for(settings),
        SweepPolicy.from_settings(settings),
        outbox_db=database_for(settings, connection="outbox"),  # sends a busy tick's first jobs while it makes the rest
        remaining_ms=context.get_remaining_time_in_millis,
        metrics=metrics,
    )
    logger.info("sweeps done", extra={"scheduled_at": event.time.isoformat(), **asdict(summary)})
    return asdict(summary)
