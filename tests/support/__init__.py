"""Helpers shared by tests: the events/ samples, webhook events, invoking functions in-process."""

from __future__ import annotations

import json
from pathlib import Path

from chatbatch_local.lambda_runtime import LambdaContext, http_api_event

EVENTS = Path(__file__).resolve().parents[2] / "events"
SECRET = "dev-webhook-secret"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def webhook_event(payload: object, *, secret: str | None = SECRET, raw: bytes | None = None) -> dict:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-webhook-secret"] = secret
    body = raw if raw is not None else json.dumps(payload).encode()
    return http_api_event("POST", "/webhook", "", headers, body)


def invoke(function, event: dict) -> tuple[int, dict]:
    """Call a function's lambda_handler as Lambda would; the status and the decoded JSON body."""
    response = function.lambda_handler(event, LambdaContext(function_name="test"))
    body = response.get("body") or "{}"
    return response["statusCode"], json.loads(body)
