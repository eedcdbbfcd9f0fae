"""Routes for the WhatsApp gateway: ``POST /webhook`` and ``GET /health``."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from functools import lru_cache
from typing import Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from chatbatch import secrets
from chatbatch.api import openapi
from chatbatch.db import database_for
from chatbatch.domain.messages import parse_webhook
from chatbatch.errors import BadRequest, PayloadTooLarge, Unauthorized
from chatbatch.observability import MetricName, logger, metrics
from chatbatch.services.ingest import ingest_message
from chatbatch.settings import ApiSettings, api_settings

router = APIGatewayHttpRouter()


class WebhookAck(BaseModel):
    status: Literal["accepted", "duplicate"]
    message_id: str
    chat_id: str


class Health(BaseModel):
    status: Literal["ok"]


SECRET_HEADER = "x-webhook-secret"


@lru_cache(maxsize=1)
def _webhook_secret(settings: ApiSettings) -> bytes:
    settings.require_webhook_secret()
    value = secrets.resolve(settings.webhook_secret, settings.webhook_secret_arn, json_key="webhook_secret")
    return (value or "").encode("utf-8")


def _check_secret(given: str | None, settings: ApiSettings) -> None:
    expected = _webhook_secret(settings)
    if not given or not expected or not hmac.compare_digest(given.encode("utf-8"), expected):
        raise Unauthorized(f"missing or wrong {SECRET_HEADER.title()} header")


def _body_bytes(settings: ApiSettings) -> bytes:
    event = router.current_event
    raw = event.body or ""
    if event.is_base64_encoded:
        if len(raw) > settings.max_webhook_body_bytes * 4 // 3 + 4:
            raise _too_large(settings)
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("the body is marked base64-encoded but is not valid base64") from None
    else:
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > settings.max_webhook_body_bytes:
        raise _too_large(settings)
    return data


def _too_large(settings: ApiSettings) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the body is larger than {settings.max_webhook_body_bytes} bytes; a WhatsApp text is at most 65536 characters"
    )


def _decode_json(data: bytes) -> object:
    if not data.strip():
        raise BadRequest("the body is empty; send the message as a JSON object")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal over Python's 4300-digit limit
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


@router.post(
    "/webhook",
    summary="Receive one WhatsApp message from the gateway",
    description="The gateway's flat JSON message (snake_case or camelCase fields: session_token, message_id, "
    "from, to, body, push_name, timestamp, from_me, type, is_group, participant). Saved once: "
    "a retried message answers `duplicate` and changes nothing.",
    responses=openapi.responses("Stored (or already stored)", 400, 401, 413, 422, 503),
    security=[{openapi.WEBHOOK_SECRET: []}],
    tags=[openapi.GATEWAY_TAG],
)
def receive_message() -> Response[WebhookAck]:
    settings = api_settings()
    _check_secret(router.current_event.headers.get(SECRET_HEADER), settings)
    message = parse_webhook(_decode_json(_body_bytes(settings)))
    logger.set_correlation_id(message.message_id)
    result = ingest_message(database_for(settings), message, reply_groups=settings.ai_reply_groups)
    if result.status == "duplicate":
        metrics.add_metric(name=MetricName.DUPLICATE_WEBHOOKS.value, unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name=MetricName.MESSAGES_RECEIVED.value, unit=MetricUnit.Count, value=1)
    if result.takeover:
        metrics.add_metric(name=MetricName.TAKEOVERS.value, unit=MetricUnit.Count, value=1)
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
