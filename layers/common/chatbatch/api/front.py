"""The api function's front door: a gateway's webhook is answered by :mod:`chatbatch.api.webhooks` alone; every
other request goes to the full resolver (:mod:`chatbatch.api.resolver`: the history and console routes, OpenAPI
validation, Swagger), built on the first such request.

Why: a gateway waits on every cold start, and the resolver with its OpenAPI machinery and the history and console
models costs several times the import of Powertools, psycopg2 and pydantic themselves. Nothing is imported or read
(settings included) until a request needs it. The front answers only what it answers exactly as the resolver would:
the webhook routes' own methods and paths, on API Gateway's ``$default`` stage, without a browser's ``Origin``
(CORS is the resolver's); anything else, an unknown route or an odd path included, goes to the resolver.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatbatch.api.answers import Answer
from chatbatch.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

# The webhook routes (the resolver declares the same, with their documentation: a test holds the two alike), each
# → its function in chatbatch.api.webhooks.
WEBHOOK_ROUTES = (
    ("POST", "/webhook", "receive_message"),
    ("POST", "/webhook/waha", "receive_waha"),
    ("POST", "/webhook/evolution", "receive_evolution"),
    ("POST", "/webhook/evolution/<event>", "receive_evolution"),
    ("POST", "/webhook/evolution/secret/<webhook_secret>", "receive_evolution"),
    ("POST", "/webhook/evolution/secret/<webhook_secret>/<event>", "receive_evolution"),
    ("GET", "/webhook/meta", "verify_meta"),
    ("POST", "/webhook/meta", "receive_meta"),
    ("POST", "/webhook/gowa", "receive_gowa"),
    ("POST", "/webhook/gowa/<session>", "receive_gowa"),
)
# A path segment is plain URL characters (no %-escapes, which the two might read differently).
_SEGMENT = r"[A-Za-z0-9_.~-]+"
_ROUTES = [
    (method, re.compile("^" + re.sub(r"<(\w+)>", rf"(?P<\1>{_SEGMENT})", path) + "$"), name)
    for method, path, name in WEBHOOK_ROUTES
]
_full_app: APIGatewayHttpResolver | None = None


def resolve(event: dict, context: Any) -> dict:
    """The Lambda proxy answer to an API Gateway HTTP API (payload 2.0) event. Its log lines carry API Gateway's
    request id as their correlation id (a webhook's, once its message is read, the message's id)."""
    logger.set_correlation_id((event.get("requestContext") or {}).get("requestId"))
    webhook = _webhook_route(event)
    if webhook is None:
        return full_app().resolve(event, context)
    return _answer_webhook(event, *webhook)


def full_app() -> APIGatewayHttpResolver:
    """The resolver of every route (an ``APIGatewayHttpResolver``), built once, on first use."""
    global _full_app
    if _full_app is None:
        from chatbatch.api.resolver import create_app

        _full_app = create_app()
    return _full_app


def _webhook_route(event: dict) -> tuple[str, dict[str, str]] | None:
    context = event.get("requestContext") or {}
    headers = event.get("headers") or {}
    if (
        event.get("version") != "2.0"
        or context.get("stage") != "$default"
        or any(k.lower() == "origin" for k in headers)
    ):
        return None
    method, path = (context.get("http") or {}).get("method"), event.get("rawPath") or ""
    if not path.startswith("/webhook"):
        return None
    for route_method, pattern, name in _ROUTES:
        matched = pattern.match(path) if route_method == method else None
        if matched:
            return name, matched.groupdict()
    return None


def _answer_webhook(event: dict, name: str, path_params: dict[str, str]) -> dict:
    from chatbatch.api import webhooks
    from chatbatch.api.answers import error_answer
    from chatbatch.api.webhook_request import WebhookRequest
    from chatbatch.errors import ChatbatchError

    receive: Callable[..., Answer] = getattr(webhooks, name)
    request = WebhookRequest(
        headers={key.lower(): value for key, value in (event.get("headers") or {}).items()},
        body=event.get("body"),
        is_base64_encoded=bool(event.get("isBase64Encoded")),
        query=event.get("queryStringParameters") or {},
    )
    try:
        answer = receive(request, **path_params)
    except ChatbatchError as exc:
        answer = error_answer(exc, event["rawPath"])
    return _proxy_response(answer)


def _proxy_response(answer: Answer) -> dict:
    """As Powertools' resolver builds it for an HTTP API: compact JSON, one Content-Type header, no cookies."""
    body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body, separators=(",", ":"))
    return {
        "statusCode": answer.status,
        "body": body,
        "isBase64Encoded": False,
        "headers": {"Content-Type": answer.content_type},
        "cookies": [],
    }
