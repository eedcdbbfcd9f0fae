"""Routes for the WhatsApp gateway: ``POST /webhook`` and ``GET /health``."""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from chatbatch.api import openapi
from chatbatch.api.webhook_request import count_ingest, decode_json, raw_body, require_shared_secret
from chatbatch.db import database_for
from chatbatch.domain.messages import parse_webhook
from chatbatch.observability import logger
from chatbatch.services.ingest import ingest_message
from chatbatch.settings import api_settings

router = APIGatewayHttpRouter()


class WebhookAck(BaseModel):
    status: Literal["accepted", "duplicate"]
    message_id: str
    chat_id: str


class Health(BaseModel):
    status: Literal["ok"]


@router.post(
    "/webhook",
    summary="Receive one WhatsApp message from the gateway",
    description="The gateway's flat JSON message (snake_case or camelCase fields: session_token, message_id, "
    "from, to, body, push_name, timestamp, from_me, type, is_group, participant, reply_to). `from`, `to` and "
    "`participant` must be WhatsApp addresses (`6281234567890@s.whatsapp.net`, `…@c.us`, `…@lid`, `…@g.us`, "
    "or a Cloud API phone number / business-scoped user id). Saved once: "
    "a retried message answers `duplicate` and changes nothing.",
    responses=openapi.responses(
        "Stored (or already stored)", 400, 401, 413, 422, 503, bad_request=openapi.BODY_NOT_JSON
    ),
    security=[{openapi.WEBHOOK_SECRET: []}],
    tags=[openapi.GATEWAY_TAG],
)
def receive_message() -> Response[WebhookAck]:
    settings = api_settings()
    require_shared_secret(router.current_event.headers, settings)
    message = parse_webhook(decode_json(raw_body(router, settings)))
    logger.set_correlation_id(message.message_id)
    result = ingest_message(database_for(settings), message, reply_groups=settings.ai_reply_groups)
    count_ingest(result)
    logger.info(
        "webhook message stored",
        extra={
            "status": result.status,
            "from_me": message.from_me,
            "message_type": message.message_type,
            "is_group": message.is_group,
            "chat_room_id": result.chat_room_id,
            "echo": result.echo,
            "takeover": result.takeover,
        },
    )
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=WebhookAck(status=result.status, message_id=result.message_id, chat_id=result.chat_id).model_dump(),
    )


@router.get(
    "/health",
    summary="200 when the database answers, else 503",
    responses=openapi.responses("The database answers", 503),
    tags=[openapi.GATEWAY_TAG],
)
def health() -> Health:
    database_for(api_settings()).transaction(lambda cur: cur.execute("SELECT 1"))
    return Health(status="ok")
