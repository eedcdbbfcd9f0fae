"""What the OpenAPI document says beyond the routes' own types: the error body, the security schemes, and the bodies
of the routes that read their raw body themselves (the webhooks: a signature covers the bytes as sent, so they are
proven before anything parses them, and Powertools must not parse them first)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, OpenAPI, RequestBody
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from chatbatch.errors import UnsupportedMediaType

TITLE = "chatbatch API"
VERSION = "1.0.0"
BEARER = "historyToken"
WEBHOOK_SECRET = "webhookSecret"
HUB_SIGNATURE = "hubSignature"
WAHA_HMAC = "wahaHmac"
GATEWAY_TAG = "WhatsApp gateway"
HISTORY_TAG = "Chat history"
CONSOLE_TAG = "Operator console"

SECURITY_SCHEMES = {
    BEARER: HTTPBearer(
        bearerFormat="cbt_…",
        description="An API token of one session: `chatbatch token create <session_tok> --scope read|operate|admin` "
        "prints one.",
    ),
    WEBHOOK_SECRET: APIKey(
        **{"in": APIKeyIn.header},
        name="X-Webhook-Secret",
        description="The secret shared with the WhatsApp gateway (WEBHOOK_SECRET / WEBHOOK_SECRET_ARN).",
    ),
    HUB_SIGNATURE: APIKey(
        **{"in": APIKeyIn.header},
        name="X-Hub-Signature-256",
        description="`sha256=` + the hex HMAC-SHA256 of the raw body: keyed with META_APP_SECRET (the Cloud API) "
        "or GOWA_WEBHOOK_SECRET (go-whatsapp-web-multidevice).",
    ),
    WAHA_HMAC: APIKey(
        **{"in": APIKeyIn.header},
        name="X-Webhook-Hmac",
        description="WAHA's hex HMAC-SHA512 of the raw body keyed with WAHA_HMAC_KEY (with X-Webhook-Hmac-Algorithm).",
    ),
}


class ErrorDetail(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    """Every error answer (see chatbatch/errors.py): a code, a message a person can act on, field details."""

    error: str
    message: str
    details: list[ErrorDetail] | None = None


# What a 400 means differs per route: each route that can answer one says which (``bad_request``).
BODY_NOT_TEXT = "The body is not valid UTF-8"
BODY_NOT_JSON = "The body is empty, not valid UTF-8 or not JSON (or marked base64-encoded and not base64)"
_MEANING = {
    401: "Missing, unknown or revoked credentials",
    403: "Forbidden: the API token's scope does not allow this (the message names the scope needed), or a "
    "verification request with the wrong token",
    404: "No such chat room (or job) in this session",
    409: "The job is not in a state that allows this",
    413: "Body too large",
    415: "The body is not JSON: send it as Content-Type application/json",
    422: "Invalid fields (each named in details)",
    502: "The WhatsApp gateway did not take the message; nothing was sent",
    504: "The WhatsApp gateway gave no answer: the message may have been sent (it stays unconfirmed until its echo "
    "arrives); check the chat before sending it again",
    503: "The database is unavailable; retry later",
}


def responses(success: str, *error_codes: int, bad_request: str | None = None) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: 200 (its schema from the route's return type) and its errors; a route that
    can answer 400 says what makes it one (``bad_request``)."""
    if (400 in error_codes) != (bad_request is not None):
        raise ValueError("a route answering 400 says when (bad_request), and only such a route")
    meaning = {**_MEANING, 400: bad_request}
    documented: dict[int, OpenAPIResponse] = {200: {"description": success}}
    for code in error_codes:
        documented[code] = {"description": meaning[code], "content": {"application/json": {"model": ErrorBody}}}
    return documented


# --- bodies the routes read themselves ---------------------------------------------------------------------------

_RAW_BODY = "x-chatbatch-raw-body"


def raw_json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """The ``openapi_extensions`` of a route that reads its JSON body itself: the document declares it (required,
    ``schema``) as if Powertools read it."""
    return {
        _RAW_BODY: {"description": description, "required": True, "content": {"application/json": {"schema": schema}}}
    }


class _JsonBodies(OpenAPIRequestValidationMiddleware):
    """The bodies Powertools reads for the API are JSON: another Content-Type (a form, a multipart body, with or
    without its boundary) is a 415 before anything parses it, as the document declares only application/json."""

    def _get_body(self, app: Any) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type", "").strip().lower()
        if content_type and not content_type.startswith("application/json"):
            raise UnsupportedMediaType(f"the body must be application/json, not {content_type[:100]}")
        return super()._get_body(app)


class Resolver(APIGatewayHttpResolver):
    """The HTTP API resolver whose OpenAPI document also declares the bodies of the routes that read them raw, and
    whose requests' JSON bodies are JSON (``_JsonBodies``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._request_validation_middleware = _JsonBodies()

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        document = super().get_openapi_schema(**kwargs)
        for path in (document.paths or {}).values():
            for operation in (getattr(path, method) for method in ("get", "post", "put", "patch", "delete")):
                declared = (operation.model_extra or {}).pop(_RAW_BODY, None) if operation is not None else None
                if declared is not None:
                    operation.requestBody = RequestBody.model_validate(declared)
        return document
