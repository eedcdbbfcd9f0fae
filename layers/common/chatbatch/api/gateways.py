"""Routes for the real WhatsApp gateways: WAHA, Evolution API, the Cloud API (Meta), go-whatsapp-web-multidevice.

Each route proves the sender first (before parsing or touching the database), lets its gateway's parser
(:mod:`chatbatch.domain.inbound`) say what happened, and applies it (:mod:`chatbatch.services.gateway_events`).
The answer is 200 for every event type, used or not: a gateway retries anything else. How to point each gateway
here: docs/gateways.md.
"""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from chatbatch.api import openapi
from chatbatch.api.webhook_request import (
    count_ingest,
    decode_json,
    raw_body,
    require_gowa_sender,
    require_hub_signature,
    require_shared_secret,
    require_waha_sender,
    required_secret,
    secret,
)
from chatbatch.db import database_for
from chatbatch.domain.inbound import evolution, gowa, meta, signatures, waha
from chatbatch.domain.inbound.events import GatewayEvent
from chatbatch.domain.messages import MAX_ID_CHARS
from chatbatch.domain.text_forms import IDENTIFIER
from chatbatch.errors import BadRequest, Forbidden
from chatbatch.observability import MetricName, logger, metrics
from chatbatch.services.gateway_events import Outcome, apply_event
from chatbatch.settings import ApiSettings, get_settings

router = APIGatewayHttpRouter()

EventStatus = Literal["accepted", "duplicate", "updated", "unchanged", "held", "ignored", "rejected"]


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


_ANSWERS = openapi.responses(
    "Every event is answered 200, also those chatbatch does not use",
    400,
    401,
    413,
    422,
    503,
    bad_request=openapi.BODY_NOT_JSON,
)


# Each gateway's own event, as the document declares it: the parts chatbatch reads first. An event type it does not
# use is answered 200 ignored, whatever else the event holds; what it uses is checked field by field (a 422 names
# the field: docs/gateways.md).
_EVENT = {
    "type": "object",
    "required": ["event"],
    "properties": {"event": {"type": "string", "maxLength": MAX_ID_CHARS, "pattern": IDENTIFIER}},
}
# The body's event, else (absent or null) the path's.
_EVENT_NAMED_BY_PATH = {
    "type": "object",
    "properties": {"event": {"anyOf": [_EVENT["properties"]["event"], {"type": "null"}]}},
}
_DELIVERY = {"type": "object", "description": "a WhatsApp Business Account webhook delivery"}


def _route(path: str, summary: str, description: str, security: tuple[str, ...], body: dict = _EVENT):
    """``security``: the proofs the route takes, any one of them (which one depends on the settings)."""
    return router.post(
        path,
        summary=summary,
        description=description,
        responses=_ANSWERS,
        security=[{scheme: []} for scheme in security] or None,
        tags=[openapi.GATEWAY_TAG],
        openapi_extensions=openapi.raw_json_body(body, "The gateway's webhook event, as it sends it"),
    )


# --- WAHA ---------------------------------------------------------------------------------------------------


@_route(
    "/webhook/waha",
    "Receive a WAHA webhook event",
    "WAHA's `message`, `message.any` (own messages too), `message.ack`, `message.reaction` and `message.revoked` "
    "events; the tenant is `session`. Signed with `X-Webhook-Hmac` when WAHA_HMAC_KEY is set, else "
    "`X-Webhook-Secret` (a WAHA custom header).",
    (openapi.WAHA_HMAC, openapi.WEBHOOK_SECRET),
)
def receive_waha() -> Response[GatewayAck]:
    settings = get_settings(ApiSettings)
    body = raw_body(router, settings)
    require_waha_sender(router.current_event.headers, body, settings)
    return _applied("waha", waha.parse(decode_json(body)), settings)


# --- Evolution API ------------------------------------------------------------------------------------------

_EVOLUTION = (
    "Evolution API's `messages.upsert`, `send.message`, `messages.update` and `messages.delete` events; the tenant "
    "is `instance`. "
)


@_route(
    "/webhook/evolution",
    "Receive an Evolution API webhook event",
    _EVOLUTION + "Authenticated by `X-Webhook-Secret` (the instance webhook's `headers`).",
    (openapi.WEBHOOK_SECRET,),
)
def receive_evolution() -> Response[GatewayAck]:
    return _evolution(None, None)


@_route(
    "/webhook/evolution/<event>",
    'Receive an Evolution API event posted "by events" (`…/messages-upsert`)',
    _EVOLUTION + "With `webhook_by_events` Evolution appends the event's name to the URL.",
    (openapi.WEBHOOK_SECRET,),
    body=_EVENT_NAMED_BY_PATH,
)
def receive_evolution_event(event: str) -> Response[GatewayAck]:
    return _evolution(event, None)


@_route(
    "/webhook/evolution/secret/<webhook_secret>",
    "Receive an Evolution API event from its global webhook (the secret in the URL)",
    _EVOLUTION + "Evolution's global webhook (WEBHOOK_GLOBAL_URL) sends no custom headers, so the secret is a path "
    "segment: weaker than a header (URLs end up in proxies' logs); prefer instance webhooks with headers.",
    (),  # the proof is the path's secret
)
def receive_evolution_global(webhook_secret: str) -> Response[GatewayAck]:
    return _evolution(None, webhook_secret)


@_route(
    "/webhook/evolution/secret/<webhook_secret>/<event>",
    'Receive an Evolution API event from its global webhook, "by events"',
    _EVOLUTION + "The global webhook with WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS=true.",
    (),
    body=_EVENT_NAMED_BY_PATH,
)
def receive_evolution_global_event(webhook_secret: str, event: str) -> Response[GatewayAck]:
    return _evolution(event, webhook_secret)


def _evolution(path_event: str | None, path_secret: str | None) -> Response[GatewayAck]:
    settings = get_settings(ApiSettings)
    body = raw_body(router, settings)
    require_shared_secret(router.current_event.headers, settings, given=path_secret)
    return _applied("evolution", evolution.parse(decode_json(body), path_event=path_event), settings)


# --- WhatsApp Cloud API (Meta) ------------------------------------------------------------------------------


@router.get(
    "/webhook/meta",
    summary="Answer Meta's webhook verification",
    description="`hub.mode=subscribe`, `hub.verify_token` equal to META_VERIFY_TOKEN and `hub.challenge`: the "
    "challenge comes back as text/plain. Anything else is 403.",
    responses={
        200: {"description": "The challenge", "content": {"text/plain": {"schema": {"type": "string"}}}},
        **openapi.responses("", 400, 403, bad_request="hub.challenge is missing, too long or not printable"),
    },
    tags=[openapi.GATEWAY_TAG],
)
def verify_meta() -> Response[str]:
    query = router.current_event.query_string_parameters or {}
    expected = secret(get_settings(ApiSettings), "meta_verify_token")
    if query.get("hub.mode") != "subscribe" or not signatures.secret_matches(expected, query.get("hub.verify_token")):
        logger.info("meta webhook verification refused", extra={"configured": bool(expected)})
        raise Forbidden("hub.mode must be subscribe and hub.verify_token must equal META_VERIFY_TOKEN")
    challenge = query.get("hub.challenge") or ""
    if not challenge or len(challenge) > MAX_ID_CHARS or not challenge.isprintable():
        raise BadRequest("hub.challenge must be a short printable value")
    return Response(status_code=200, content_type=content_types.TEXT_PLAIN, body=challenge)


@_route(
    "/webhook/meta",
    "Receive a WhatsApp Cloud API webhook delivery",
    "The `messages` field: customers' messages, reactions and the `statuses` of what the business sent, several "
    "per delivery, each applied on its own (an invalid one is `rejected` in the answer, the others are kept). "
    "The tenant is `metadata.phone_number_id`. Signed with `X-Hub-Signature-256` (META_APP_SECRET).",
    (openapi.HUB_SIGNATURE,),
    body=_DELIVERY,
)
def receive_meta() -> Response[GatewayAck]:
    settings = get_settings(ApiSettings)
    body = raw_body(router, settings)
    key = required_secret(settings, "meta_app_secret")
    require_hub_signature(router.current_event.headers, body, key, "META_APP_SECRET")
    return _applied("meta", meta.parse(decode_json(body)), settings)


# --- go-whatsapp-web-multidevice ----------------------------------------------------------------------------

_GOWA = (
    "go-whatsapp-web-multidevice's `message`, `message.ack`, `message.reaction`, `message.revoked` and "
    "`message.deleted` events. Signed with `X-Hub-Signature-256` when GOWA_WEBHOOK_SECRET is set, else "
    "`X-Webhook-Secret`. "
)


@_route(
    "/webhook/gowa",
    "Receive a go-whatsapp-web-multidevice webhook event",
    _GOWA + "The tenant is the payload's `session_id`, else its `device_id`.",
    (openapi.HUB_SIGNATURE, openapi.WEBHOOK_SECRET),
)
def receive_gowa() -> Response[GatewayAck]:
    return _gowa(None)


@_route(
    "/webhook/gowa/<session>",
    "Receive a go-whatsapp-web-multidevice webhook event for the session named in the URL",
    _GOWA + "The tenant is the URL's session.",
    (openapi.HUB_SIGNATURE, openapi.WEBHOOK_SECRET),
)
def receive_gowa_session(session: str) -> Response[GatewayAck]:
    return _gowa(session)


def _gowa(session: str | None) -> Response[GatewayAck]:
    settings = get_settings(ApiSettings)
    body = raw_body(router, settings)
    require_gowa_sender(router.current_event.headers, body, settings)
    return _applied("gowa", gowa.parse(decode_json(body), session=session), settings)


# --- applying and answering ---------------------------------------------------------------------------------


def _applied(gateway: str, events: list[GatewayEvent], settings: ApiSettings) -> Response[GatewayAck]:
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
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=ack.model_dump(exclude_none=True)
    )


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
    logger.info("webhook event handled", extra=extra)
