"""The api function handles the real API Gateway HTTP API (v2) events AWS publishes, not only our own samples."""

from __future__ import annotations

import base64
import json

from tests.support import SECRET, invoke
from tests.support.foundation import BUSINESS, CONTACT, aws_fixture, counts, message, samcli_event


def as_request(event: dict, method: str, path: str) -> dict:
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = ""
    event.pop("queryStringParameters", None)
    return event


def samcli_webhook(payload: str) -> dict:
    """The event `sam local generate-event apigateway http-api-proxy` renders for ``POST /webhook`` (its body is
    base64)."""
    return samcli_event(
        "samcli_apigateway_HttpApi.json",
        path="webhook",
        method="POST",
        stage="$default",
        account_id="123456789012",
        dns_suffix="amazonaws.com",
        body=base64.b64encode(payload.encode()).decode(),
    )


def test_powertools_v2_event_carrying_a_webhook_is_stored(api_function, pg, tenant):
    # Given Powertools' published v2 event, its path, headers (mixed case, as SAM local passes them) and body
    # replaced by a webhook delivery
    event = as_request(aws_fixture("powertools_apiGatewayProxyV2Event.json"), "POST", "/webhook")
    event["headers"] = {**event["headers"], "Content-Type": "application/json", "X-Webhook-Secret": SECRET}
    event["body"] = json.dumps(message(tenant, "pt-1"))

    # When the api function handles it
    status, body = invoke(api_function, event)

    # Then the message is stored
    assert (status, body["status"]) == (200, "accepted")
    assert counts(pg, tenant) == (1, 1, 1)


def test_powertools_v2_event_for_health(api_function):
    event = as_request(aws_fixture("powertools_apiGatewayProxyV2Event.json"), "GET", "/health")
    event.pop("body")

    assert invoke(api_function, event) == (200, {"status": "ok"})


def test_sam_cli_http_api_event_with_a_base64_body_is_stored(api_function, pg, tenant):
    # Given the event `sam local generate-event apigateway http-api-proxy` renders for a business's own message
    payload = json.dumps(message(tenant, "sam-1", fromMe=True, **{"from": BUSINESS, "to": CONTACT}))
    event = samcli_webhook(payload)
    event["headers"]["x-webhook-secret"] = SECRET

    # When the api function handles it
    status, body = invoke(api_function, event)

    # Then the business's own message is stored in the contact's room
    assert (status, body["status"], body["chat_id"]) == (200, "accepted", f"{tenant}_{CONTACT}")
    assert counts(pg, tenant) == (1, 1, 1)


def test_sam_cli_http_api_event_without_the_secret_is_rejected(api_function, pg, tenant):
    payload = json.dumps(message(tenant, "sam-2"))
    event = samcli_webhook(payload)

    status, body = invoke(api_function, event)

    assert (status, body["error"]) == (401, "unauthorized")
    assert counts(pg, tenant) == (0, 0, 0)
