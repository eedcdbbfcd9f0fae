"""Routes for the real WhatsApp gateways: WAHA, Evolution API, the Cloud API (Meta), go-whatsapp-web-multidevice, as
the OpenAPI document declares them. What each does: :mod:`chatbatch.api.webhooks`. How to point each gateway here:
docs/gateways.md.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chatbatch.api import openapi, webhooks
from chatbatch.api.answers import respond
from chatbatch.api.webhook_request import WebhookRequest, webhook_request
from chatbatch.api.webhooks import GatewayAck
from chatbatch.domain.messages import MAX_ID_CHARS
from chatbatch.domain.text_forms import IDENTIFIER

router = APIGatewayHttpRouter()


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
    return respond(webhooks.receive_waha(_request()))


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
    return respond(webhooks.receive_evolution(_request()))


@_route(
    "/webhook/evolution/<event>",
    'Receive an Evolution API event posted "by events" (`…/messages-upsert`)',
    _EVOLUTION + "With `webhook_by_events` Evolution appends the event's name to the URL.",
    (openapi.WEBHOOK_SECRET,),
    body=_EVENT_NAMED_BY_PATH,
)
def receive_evolution_event(event: str) -> Response[GatewayAck]:
    return respond(webhooks.receive_evolution(_request(), event=event))


@_route(
    "/webhook/evolution/secret/<webhook_secret>",
    "Receive an Evolution API event from its global webhook (the secret in the URL)",
    _EVOLUTION + "Evolution's global webhook (WEBHOOK_GLOBAL_URL) sends no custom headers, so the secret is a path "
    "segment: weaker than a header (URLs end up in proxies' logs); prefer instance webhooks with headers.",
    (),  # the proof is the path's secret
)
def receive_evolution_global(webhook_secret: str) -> Response[GatewayAck]:
    return respond(webhooks.receive_evolution(_request(), webhook_secret=webhook_secret))


@_route(
    "/webhook/evolution/secret/<webhook_secret>/<event>",
    'Receive an Evolution API event from its global webhook, "by events"',
    _EVOLUTION + "The global webhook with WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS=true.",
    (),
    body=_EVENT_NAMED_BY_PATH,
)
def receive_evolution_global_event(webhook_secret: str, event: str) -> Response[GatewayAck]:
    return respond(webhooks.receive_evolution(_request(), event=event, webhook_secret=webhook_secret))


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
    return respond(webhooks.verify_meta(_request()))


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
    return respond(webhooks.receive_meta(_request()))


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
    return respond(webhooks.receive_gowa(_request()))


@_route(
    "/webhook/gowa/<session>",
    "Receive a go-whatsapp-web-multidevice webhook event for the session named in the URL",
    _GOWA + "The tenant is the URL's session.",
    (openapi.HUB_SIGNATURE, openapi.WEBHOOK_SECRET),
)
def receive_gowa_session(session: str) -> Response[GatewayAck]:
    return respond(webhooks.receive_gowa(_request(), session=session))


def _request() -> WebhookRequest:
    return webhook_request(router.current_event)
