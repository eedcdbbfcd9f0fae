"""Each function's handler on each of its events/ samples, with the logger and the metrics captured as in Lambda:
INFO logs carry no message text, contact name or phone number; the EMF blob carries the expected metrics under the
template's namespace and service dimension. New samples and new functions are picked up automatically."""

from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

import pytest

from chatbatch.observability import MetricName, logger, metrics
from chatbatch_local.lambda_runtime import LambdaContext, load_function
from tests.deploy.template import REPO_ROOT, global_env, render_sub
from tests.support import load_event

STACK = "chatbatch-test-stack"
SAMPLES = sorted(p.name for p in (REPO_ROOT / "events").glob("*.json"))
# What a sample must make the function emit (samples not listed are still checked for privacy and shape).
EXPECTED_METRICS = {
    "webhook_text.json": {MetricName.MESSAGES_RECEIVED},
    "webhook_image.json": {MetricName.MESSAGES_RECEIVED},
    "webhook_group.json": {MetricName.MESSAGES_RECEIVED},
    "webhook_from_me.json": {MetricName.MESSAGES_RECEIVED},
    "webhook_bad_secret.json": {MetricName.REJECTED_WEBHOOKS},
    "health.json": set(),
}
PHONE = re.compile(r"\d{7,15}")


def function_for(event: dict) -> str:
    """Which function a sample is for, from its shape (the names of the samples are free)."""
    if "http" in event.get("requestContext", {}):
        return "api"
    if "RequestType" in event and "ResponseURL" in event:
        return "migrate"
    if event.get("Records") and event["Records"][0].get("eventSource") == "aws:sqs":
        return "worker"
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return "sweeper"
    raise AssertionError(f"no function takes an event shaped like this: {sorted(event)}")


def private_values(event: dict) -> set[str]:
    """Message text, contact names and phone numbers a sample carries (none may reach an INFO log)."""
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"body", "text", "content", "push_name", "pushName", "caption"} and isinstance(value, str):
                    try:
                        walk(json.loads(value))
                    except ValueError:
                        found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            found.update(PHONE.findall(node.split("@")[0]) if "@" in node else [])

    walk(event)
    return {v for v in found if v.strip()}


def with_unique_tenant(event: dict) -> dict:
    """The api samples name one demo session: give this run its own, so the result is not a duplicate."""
    try:
        payload = json.loads(event.get("body") or "")
    except ValueError:
        return event
    if not isinstance(payload, dict):
        return event
    for key in ("session_token", "sessionToken"):
        if key in payload:
            payload[key] = f"obs-{uuid.uuid4().hex[:10]}"
    return {**event, "body": json.dumps(payload)}


def correlation_id_of(event: dict, function: str) -> str | None:
    """The id every log line of a request should carry: the message id (webhook), the request id (deploy)."""
    if function == "migrate":
        return event["RequestId"]
    if function == "api" and event["requestContext"]["http"]["path"] == "/webhook":
        payload = json.loads(event["body"])
        accepted = event["headers"].get("x-webhook-secret") == "dev-webhook-secret"
        return (payload.get("message_id") or payload.get("messageId")) if accepted else None
    return None


@pytest.fixture
def lambda_like_runtime(monkeypatch, database_url, reset_settings):
    """The template's Powertools settings, with the log stream captured."""
    env = global_env()
    monkeypatch.setattr(metrics, "namespace", render_sub(env["POWERTOOLS_METRICS_NAMESPACE"], {"AWS::StackName": STACK}))
    monkeypatch.setattr(metrics, "service", env["POWERTOOLS_SERVICE_NAME"])
    previous_level = logger.log_level
    logger.setLevel(env["POWERTOOLS_LOG_LEVEL"])
    stream = io.StringIO()
    previous_stream = logger.registered_handler.setStream(stream)
    yield stream
    logger.registered_handler.setStream(previous_stream)
    logger.setLevel(previous_level)


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_sample_logs_nothing_private_and_emits_its_metrics(sample, lambda_like_runtime, response_bucket, capsys):
    event = load_event(sample)
    name = function_for(event)
    if name == "api":
        event = with_unique_tenant(event)
    if name == "migrate":
        event = {**event, "ResponseURL": response_bucket.url}
    function = load_function(name)
    capsys.readouterr()

    function.lambda_handler(event, LambdaContext(function_name=f"{STACK}-{name}", timeout_seconds=60))

    stdout = capsys.readouterr().out
    logs = [json.loads(line) for line in lambda_like_runtime.getvalue().splitlines() if line.strip()]
    assert all(record["level"] in {"INFO", "WARNING", "ERROR", "CRITICAL"} for record in logs)
    leaked = {v for v in private_values(load_event(sample)) for line in lambda_like_runtime.getvalue().splitlines()
              if v in line}
    assert leaked == set(), f"INFO logs of {name} carry message text or phone numbers"
    emf = [json.loads(line) for line in stdout.splitlines() if line.startswith("{") and '"_aws"' in line]
    emitted = {m["Name"] for blob in emf for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    for blob in emf:
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == f"chatbatch/{STACK}"
        assert directive["Dimensions"] == [["service"]] and blob["service"] == global_env()["POWERTOOLS_SERVICE_NAME"]
    assert emitted <= {m.value for m in MetricName}
    if emitted:
        assert logs, "a handler that did work says so in an INFO log (and the capture works)"
    if expected_id := correlation_id_of(event, name):
        assert expected_id in {record.get("correlation_id") for record in logs}
    if sample in EXPECTED_METRICS:
        assert emitted == {m.value for m in EXPECTED_METRICS[sample]}
