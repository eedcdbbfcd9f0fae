"""What each webhook route does: the flat ``POST /webhook`` and the real gateways' routes (WAHA, Evolution API, the
Cloud API, go-whatsapp-web-multidevice), as plain functions of the request.

Each proves the sender first (before parsing or touching the database), lets its gateway's parser
(:mod:`chatbatch.domain.inbound`) say what happened, and applies it (:mod:`chatbatch.services.ingest`,
:mod:`chatbatch.services.gateway_events`). The answer is 200 for every event type, used or not: a gateway retries
anything else. How to point each gateway here: docs/gateways.md.

Nothing here imports the HTTP framework: the api function's front (:mod:`chatbatch.api.front`) answers a gateway's
webhook with these alone on a cold start, and the routes of the OpenAPI document (:mod:`chatbatch.api.webhook`,
:mod:`chatbatch.api.gateways`) call the same functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from chatbatch.api.answers import Answer
from chatbatch.api.webhook_request import (
    WebhookRequest,
    count_ingest,
    decode_json,
    proven,
    raw_body,
    require_gowa_sender,
    require_hub_signature,
    require_shared_secret,
    require_waha_sender,
    required_secret,
    secret,
)
from chatbatch.db import database_for
from chatbatch.domain.inbound import signatures
from chatbatch.domain.messages import MAX_ID_CHARS, parse_webhook
from chatbatch.errors import BadRequest, Forbidden
from chatbatch.observability import MetricName, logger, metrics
from chatbatch.services.ingest import ingest_message
from chatbatch.settings import ApiSettings, get_settings

if TYPE_CHECKING:
    from chatbatch.domain.inbound.events import GatewayEvent
    from chatbatch.services.gateway_events import Outcome

# A deployment talks to one gateway: each route imports its gateway's parser (and the events' use case) when it is
# first called, so a cold start loads one parser, not five.

EventStatus = Literal["accepted", "duplicate", "updated", "unchanged", "held", "ignored", "rejected"]


class WebhookAck(BaseModel):
    status: Literal["accepted", "duplicate"]
    message_id: str
    chat_id: str


class EventResult(BaseModel):
    event: str  # message | receipt | reaction | revocation | the gateway's name of an event we do not use
    status: EventStatus
    message_id: str | None = None
    chat_id: str | None = None
    detail: str | None = None  # why it was ignored or rejected; the receipt's status


class GatewayAck(BaseModel):
    """``status``: the one event's status, or ``processed`` when a delivery carried several (the Cloud API)."""

    status: EventStatus | Literal["processed"]
    results: list[EventResult]


# --- the flat message -----------------------------------------------------------------------------------------


def receive_message(request: WebhookRequest) -> Answer:
    settings = get_settings(ApiSettings)
    require_shared_secret(request.headers, settings)
    message = parse_webhook(decode_json(raw_body(request, settings)))
    logger.set_correlation_id(message.message_id)
    result = ingest_message(database_for(settings), message, reply_groups=settings.ai_reply_groups)
    count_ingest(result)
    _log_at(
        "webhook message stored",
        routine=result.status == "accepted" and not (result.echo or result.takeover),
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
    ack = WebhookAck(status=result.status, message_id=result.message_id, chat_id=result.chat_id)
    return Answer(200, ack.model_dump())


# --- the gateways ---------------------------------------------------------------------------------------------


def receive_waha(request: WebhookRequest) -> Answer:
    from chatbatch.domain.inbound import waha

    settings = get_settings(ApiSettings)
    body = raw_body(request, settings)
    require_waha_sender(request.headers, body, settings)
    return _applied("waha", waha.parse(decode_json(body)), settings)


def receive_evolution(
    request: WebhookRequest, *, event: str | None = None, webhook_secret: str | None = None
) -> Answer:
    """``event``: the event's name from the URL ("by events"); ``webhook_secret``: the global webhook's secret from
    the URL (it sends no custom headers)."""
    from chatbatch.domain.inbound import evolution

    settings = get_settings(ApiSettings)
    body = raw_body(request, settings)
    require_shared_secret(request.headers, settings, given=webhook_secret)
    return _applied("evolution", evolution.parse(decode_json(body), path_event=event), settings)


def verify_meta(request: WebhookRequest) -> Answer:
    query = request.query
    expected, given = secret(get_settings(ApiSettings), "meta_verify_token"), query.get("hub.verify_token")
    if query.get("hub.mode") != "subscribe" or not proven(expected, lambda key: signatures.secret_matches(key, given)):
        logger.info("meta webhook verification refused", extra={"configured": expected.configured})
        raise Forbidden("hub.mode must be subscribe and hub.verify_token must equal META_VERIFY_TOKEN")
    challenge = query.get("hub.challenge") or ""
    if not challenge or len(challenge) > MAX_ID_CHARS or not challenge.isprintable():
        raise BadRequest("hub.challenge must be a short printable value")
    return Answer(200, challenge, content_type="text/plain")


def receive_meta(request: WebhookRequest) -> Answer:
    from chatbatch.domain.inbound import meta

    settings = get_settings(ApiSettings)
    body = raw_body(request, settings)
    key = required_secret(settings, "meta_app_secret")
    require_hub_signature(request.headers, body, key, "META_APP_SECRET")
    return _applied("meta", meta.parse(decode_json(body)), settings)


def receive_gowa(request: WebhookRequest, *, session: str | None = None) -> Answer:
    """``session``: the session named in the URL, else the payload's."""
    from chatbatch.domain.inbound import gowa

    settings = get_settings(ApiSettings)
    body = raw_body(request, settings)
    require_gowa_sender(request.headers, body, settings)
    return _applied("gowa", gowa.parse(decode_json(body), session=session), settings)


# --- applying and answering ---------------------------------------------------------------------------------


def _applied(gateway: str, events: list[GatewayEvent], settings: ApiSettings) -> Answer:
    from chatbatch.services.gateway_events import apply_event

    db = database_for(settings)
    outcomes = [apply_event(db, event, reply_groups=settings.ai_reply_groups) for event in events]
    for outcome in outcomes:
        _count(outcome)
        _log(gateway, outcome)
    results = [
        EventResult(event=o.event, status=o.status, message_id=o.message_id, chat_id=o.chat_id, detail=o.detail)
        for o in outcomes
    ]
    ack = GatewayAck(status=results[0].status if len(results) == 1 else "processed", results=results)
    # Every field, null ones too: what the resolver's response validation has always sent (GatewayAck's schema).
    return Answer(200, ack.model_dump())


_METRIC_OF_STATUS: dict[str, MetricName] = {
    "ignored": MetricName.IGNORED_WEBHOOK_EVENTS,
    "rejected": MetricName.REJECTED_WEBHOOKS,
}


def _count(outcome: Outcome) -> None:
    if outcome.ingested is not None:
        count_ingest(outcome.ingested)
    elif outcome.status in _METRIC_OF_STATUS:
        metrics.add_metric(name=_METRIC_OF_STATUS[outcome.status].value, unit=MetricUnit.Count, value=1)


def _log(gateway: str, outcome: Outcome) -> None:
    # Never the content, a name or a phone number (WAHA's message ids hold the chat's number): what happened.
    extra = {"gateway": gateway, "event": outcome.event, "status": outcome.status}
    if outcome.ingested is not None:
        extra |= {"echo": outcome.ingested.echo, "takeover": outcome.ingested.takeover}
    if outcome.status == "ignored":
        extra["reason"] = outcome.detail
    routine = outcome.status in _ROUTINE_STATUSES and not (extra.get("echo") or extra.get("takeover"))
    _log_at("webhook event handled", routine=routine, extra=extra)


# What every chat does all day: a customer's message stored, a receipt moving a status, an event we do not use. Each
# is in the database (or needs nothing) and counted by a metric; a log line apiece would cost each webhook about a
# third of the CPU it spends outside the database (make bench --only ingest). They log at DEBUG; what is worth
# reading logs at INFO: a duplicate, a human taking a chat over, an echo, a held receipt, a rejected event.
_ROUTINE_STATUSES = frozenset({"accepted", "updated", "unchanged", "ignored"})


def _log_at(message: str, *, routine: bool, extra: dict) -> None:
    (logger.debug if routine else logger.info)(message, extra=extra)
