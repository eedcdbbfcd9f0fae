"""An HTTP answer as the routes make it, and a typed error as the API answers it: one place for both paths of the
api function (the front's webhooks and the full resolver's routes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from chatbatch.errors import ChatbatchError
from chatbatch.observability import MetricName, logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response

JSON = "application/json"
_WEBHOOK_PATH = re.compile(r"/webhook(?:/|$)")  # the flat route and the gateways' routes


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | str  # a dict is sent as JSON
    content_type: str = JSON


def error_answer(exc: ChatbatchError, path: str) -> Answer:
    """The answer to a typed error: logged (an error from 500 up), a rejected webhook counted."""
    if exc.status_code >= 500:
        logger.error("request failed", extra={"error": exc.code, "reason": exc.message})
    else:
        logger.info("request rejected", extra={"error": exc.code, "status": exc.status_code})
        if _WEBHOOK_PATH.search(path):
            metrics.add_metric(name=MetricName.REJECTED_WEBHOOKS.value, unit=MetricUnit.Count, value=1)
    return Answer(exc.status_code, exc.to_body())


def respond(answer: Answer) -> Response:
    """The answer as the resolver's ``Response`` (imported here: the front's webhooks never load the resolver)."""
    from aws_lambda_powertools.event_handler import Response

    return Response(status_code=answer.status, content_type=answer.content_type, body=answer.body)
