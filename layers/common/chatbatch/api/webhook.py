"""Routes for the WhatsApp gateway: ``POST /webhook``, ``GET /health`` and ``GET /health/deep``."""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from chatbatch.api import openapi, webhooks
from chatbatch.api.answers import respond
from chatbatch.api.database import api_database
from chatbatch.api.webhook_request import webhook_request
from chatbatch.api.webhooks import WebhookAck
from chatbatch.domain import jids
from chatbatch.domain.messages import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_ID_CHARS,
    MAX_JID_CHARS,
    MAX_NAME_CHARS,
    MESSAGE_TYPE,
    UNIX_MILLISECONDS,
    UNIX_SECONDS,
    WHATSAPP_MAX_TEXT_CHARS,
)
from chatbatch.domain.text_forms import IDENTIFIER, STORABLE_TEXT
from chatbatch.services.health import check_database

router = APIGatewayHttpRouter()


class Health(BaseModel):
    status: Literal["ok"]


# What POST /webhook accepts (domain/messages.py's WebhookPayload), as the document declares it. The camelCase names
# are accepted too (the description lists them); a field given under both names counts under the snake_case one.
_ID = {"type": "string", "maxLength": MAX_ID_CHARS, "pattern": IDENTIFIER}
_ADDRESS = {"type": "string", "maxLength": MAX_JID_CHARS, "pattern": jids.ADDRESS_PATTERN}
_TEXT = {"type": "string", "pattern": STORABLE_TEXT}
_GROUP = {"type": "string", "pattern": jids.GROUP_PATTERN}
FLAT_MESSAGE = {
    "type": "object",
    "required": ["session_token", "message_id", "from", "to"],
    "properties": {
        "session_token": _ID,
        "message_id": _ID,
        "from": _ADDRESS,
        "to": _ADDRESS,
        "body": {**_TEXT, "maxLength": WHATSAPP_MAX_TEXT_CHARS, "default": ""},
        "push_name": {"anyOf": [{**_TEXT, "maxLength": MAX_NAME_CHARS}, {"type": "null"}]},
        "timestamp": {
            "description": f"unix seconds or milliseconds, or an ISO-8601 time, {EARLIEST_YEAR} to {LATEST_YEAR}"
            " (the same numbers as strings are accepted too); absent or null: when it arrives",
            "anyOf": [
                {"type": "number", "minimum": UNIX_SECONDS[0], "exclusiveMaximum": UNIX_SECONDS[1]},
                {"type": "number", "minimum": UNIX_MILLISECONDS[0], "exclusiveMaximum": UNIX_MILLISECONDS[1]},
                {"type": "string", "format": "date-time", "pattern": rf"^(?:{EARLIEST_YEAR}|20[1-9][0-9])-"},
                {"type": "null"},
            ],
        },
        "from_me": {"type": "boolean", "default": False},
        "type": {"type": "string", "pattern": MESSAGE_TYPE.pattern, "default": "text"},
        "is_group": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "description": "default: a @g.us chat"},
        "participant": {"anyOf": [_ADDRESS, {"type": "null"}]},
        "reply_to": {"anyOf": [_ID, {"type": "null"}]},
    },
    # is_group true needs a group chat: `from`, or `to` for the business's own message
    "allOf": [
        {
            "if": {"required": ["is_group"], "properties": {"is_group": {"const": True}, "from_me": {"const": False}}},
            "then": {"properties": {"from": _GROUP}},
        },
        {
            "if": {
                "required": ["is_group", "from_me"],
                "properties": {"is_group": {"const": True}, "from_me": {"const": True}},
            },
            "then": {"properties": {"to": _GROUP}},
        },
    ],
}


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
    openapi_extensions=openapi.raw_json_body(
        FLAT_MESSAGE,
        "One message. Also accepted under camelCase names: sessionToken, messageId (or id), pushName, fromMe, "
        "isGroup, replyTo (or quoted_message_id, quotedMessageId), message_type / messageType for type.",
    ),
)
def receive_message() -> Response[WebhookAck]:
    return respond(webhooks.receive_message(webhook_request(router.current_event)))


@router.get(
    "/health",
    summary="200 while the function answers (no database call: a load balancer's probe costs no connection)",
    responses=openapi.responses("The function answers"),
    tags=[openapi.GATEWAY_TAG],
)
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/health/deep",
    summary="200 when the database answers too, else 503",
    responses=openapi.responses("The database answers", 503),
    tags=[openapi.GATEWAY_TAG],
)
def deep_health() -> Health:
    check_database(api_database())
    return Health(status="ok")
