"""api function: the gateway's webhook, health, and the chat-history API behind API Gateway (HTTP API).

A cold start imports only the front (chatbatch/api/front.py): a webhook loads what it needs on its first request,
the full resolver (OpenAPI, Swagger, the history and console routes) loads on the first other request.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext
from chatbatch.api import front
from chatbatch.observability import logger, metrics, tracer


@logger.inject_lambda_context  # the correlation id: the front sets it (chatbatch/api/front.py)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return front.resolve(event, context)
