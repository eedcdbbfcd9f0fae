"""Each function's handler on each of its events/ samples, with the logger and the metrics captured as in Lambda:
INFO logs carry no message text, contact name or phone number; the EMF blob carries the expected metrics under the
template's namespace and service dimension. New samples and new functions are picked up automatically.

The sweeper and worker samples run on real work: a webhook through the api function first (and a sweep, for the
worker), so their metrics are the ones a real invocation emits."""

from __future__ import annotations

import json
import re
import time
import uuid

import boto3
import pytest
from chatbatch.observability import MetricName, logger, metrics
from chatbatch_local.lambda_runtime import LambdaContext, load_function

from tests.deploy.template import REPO_ROOT, global_env, render_sub
from tests.support import load_event
from tests.support.logs import captured_logs

STACK = "chatbatch-test-stack"
DEBOUNCE_SECONDS = "0.05"
WAIT_SECONDS = 30  # a deadline for conditions, generous for a loaded 2-core machine
SAMPLES = sorted(p.name for p in (REPO_ROOT / "events").glob("*.json"))
SEED = "webhook_text.json"  # the message the sweeper and worker samples work on
M = MetricName
# What a sample must make its function emit (samples not listed are still checked for privacy and shape).
EXPECTED_METRICS = {
    "webhook_text.json": {M.MESSAGES_RECEIVED},
    "webhook_image.json": {M.MESSAGES_RECEIVED},
    "webhook_group.json": {M.MESSAGES_RECEIVED},
    "webhook_from_me.json": {M.MESSAGES_RECEIVED, M.TAKEOVERS},
    "webhook_bad_secret.json": {M.REJECTED_WEBHOOKS},
    "webhook_meta_bad_signature.json": {M.REJECTED_WEBHOOKS},
    "webhook_meta_unsupported.json": {M.IGNORED_WEBHOOK_EVENTS},
    "webhook_evolution_connection_update.json": {M.IGNORED_WEBHOOK_EVENTS},
    "webhook_gowa_presence.json": {M.IGNORED_WEBHOOK_EVENTS},
    "health.json": set(),
    "health_deep.json": set(),
    "sweeper_scheduled.json": {
        M.SWEEP_DURATION,
        M.BATCHES_CREATED,
        M.BUBBLES_PER_BATCH,
        M.JOBS_ENQUEUED,
        M.DEBOUNCE_DELAY,
    },
    "worker_sqs_fifo.json": {M.LLM_LATENCY, M.LLM_TOKENS_IN, M.LLM_TOKENS_OUT, M.REPLIES_SENT, M.REPLY_LATENCY},
    "migrate_create.json": set(),
    "migrate_update.json": set(),
    "migrate_delete.json": set(),
}
PHONE = re.compile(r"\d{7,15}")
PRIVATE_FIELDS = {"body", "text", "content", "push_name", "pushName", "caption"}


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


def private_values(node) -> set[str]:
    """Message text, contact names and phone numbers in a sample or a payload (none may reach an INFO log)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and value.lstrip().startswith("{"):
                found |= private_values(json.loads(value))
            elif key in PRIVATE_FIELDS and isinstance(value, str):
                found.add(value)
            else:
                found |= private_values(value)
    elif isinstance(node, list):
        for item in node:
            found |= private_values(item)
    elif isinstance(node, str) and "@" in node:
        found |= set(PHONE.findall(node.split("@")[0]))
    return {v for v in found if v.strip()}


def webhook(sample: str, tenant: str, **fields) -> dict:
    """An api sample of the flat webhook for this run's own tenant (so it is never a duplicate of another test's
    message); a gateway's sample as it is (its body may be signed)."""
    event = load_event(sample)
    try:
        payload = json.loads(event.get("body") or "")
    except ValueError:
        return event
    if not isinstance(payload, dict) or not {"session_token", "sessionToken"} & set(payload):
        return event
    for key in ("session_token", "sessionToken"):
        if key in payload:
            payload[key] = tenant
    return {**event, "body": json.dumps({**payload, **fields})}


def correlation_id_of(event: dict, function: str) -> str | None:
    """The id the request's log lines carry: the message id (webhook), the job id (worker), CloudFormation's
    request id (migrate)."""
    if function == "migrate":
        return event["RequestId"]
    if function == "worker":
        return str(json.loads(event["Records"][-1]["body"])["job_id"])
    if function == "api" and event["requestContext"]["http"]["path"] == "/webhook":
        payload = json.loads(event["body"])
        accepted = event["headers"].get("x-webhook-secret") == "dev-webhook-secret"
        return (payload.get("message_id") or payload.get("messageId")) if accepted else None
    return None


@pytest.fixture
def lambda_like_runtime(monkeypatch, database_url, reset_settings):
    """The template's Powertools settings, with the log stream captured at every level (DEBUG too: a webhook's
    routine lines are DEBUG; what the template's level keeps is asserted on the records at it)."""
    env = global_env()
    namespace = render_sub(env["POWERTOOLS_METRICS_NAMESPACE"], {"AWS::StackName": STACK})
    monkeypatch.setattr(metrics, "namespace", namespace)
    monkeypatch.setattr(metrics, "service", env["POWERTOOLS_SERVICE_NAME"])
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    with captured_logs("DEBUG") as stream:
        yield stream


@pytest.fixture(scope="module")
def sqs_endpoint():
    from chatbatch_local.sqs import start_local_sqs

    server = start_local_sqs()
    yield server.endpoint_url
    server.stop()


@pytest.fixture
def pipeline(sqs_endpoint, monkeypatch):
    """A queue of its own, a short debounce and a sweep loop that ends within a second."""
    from chatbatch_local.sqs import create_queues

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    queue_url, _ = create_queues(sqs_endpoint, name=f"obs-{uuid.uuid4().hex[:10]}")
    for name, value in {
        "QUEUE_URL": queue_url,
        "SQS_ENDPOINT_URL": sqs_endpoint,
        "DEBOUNCE_SECONDS": DEBOUNCE_SECONDS,
        "SWEEP_INTERVAL_SECONDS": "0.1",
        "SWEEP_SAFETY_MARGIN_SECONDS": "0.4",
    }.items():
        monkeypatch.setenv(name, value)
    load_function("sweeper").job_queue_for.cache_clear()
    return boto3.client("sqs", endpoint_url=sqs_endpoint, region_name="us-east-1"), queue_url


def invoke(name: str, event: dict, timeout_seconds: float = 60) -> dict:
    return load_function(name).lambda_handler(
        event, LambdaContext(function_name=f"{STACK}-{name}", timeout_seconds=timeout_seconds)
    )


def seed_chats(tenant: str, contacts: list[str]) -> set[str]:
    """A message from each contact through the api function; the private values they carry."""
    private: set[str] = set()
    for contact in contacts:
        event = webhook(SEED, tenant, **{"from": contact, "message_id": f"seed-{uuid.uuid4().hex[:8]}"})
        invoke("api", event)
        private |= private_values(event)
    return private


def wait_until_quiet(pg, tenant: str) -> None:
    """Wait (on the database's clock) until every chat of ``tenant`` has been quiet for the debounce window."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with pg.cursor() as cur:
            cur.execute(
                "SELECT bool_and(last_activity <= now() - make_interval(secs => %s)) FROM ai_chat_messages"
                " WHERE session_tok = %s",
                (float(DEBOUNCE_SECONDS), tenant),
            )
            if cur.fetchone()[0]:
                return
        assert time.monotonic() < deadline, f"the chats of {tenant} never became quiet"
        time.sleep(0.01)


def prepare(sample: str, request: pytest.FixtureRequest) -> tuple[dict, str, float, set[str]]:
    """The sample as its function will receive it, the function, the Lambda timeout to give it, and the private
    values (of the sample and of the messages seeded for it) that must not reach the logs."""
    event = load_event(sample)
    name = function_for(event)
    tenant = f"obs-{uuid.uuid4().hex[:10]}"
    if name == "api":
        event = webhook(sample, tenant)
        return event, name, 60, private_values(event)
    if name == "migrate":
        return {**event, "ResponseURL": request.getfixturevalue("response_bucket").url}, name, 60, set()
    sqs, queue_url = request.getfixturevalue("pipeline")
    sweep_timeout = 1.0  # the loop ends SWEEP_SAFETY_MARGIN_SECONDS before: ~0.6 s of sweeps every 0.1 s
    pg = request.getfixturevalue("pg")
    if name == "sweeper":
        private = seed_chats(tenant, [json.loads(load_event(SEED)["body"])["from"]])
        wait_until_quiet(pg, tenant)  # so the invocation's first sweep finds the chat ready, however busy the machine
        return event, name, sweep_timeout, private
    # worker: one job per record of the sample, for the chats the sample names, made by a real sweep
    contacts = [json.loads(record["body"])["chat_jid"] for record in event["Records"]]
    private = seed_chats(tenant, contacts)
    wait_until_quiet(pg, tenant)
    invoke("sweeper", load_event("sweeper_scheduled.json"), sweep_timeout)
    bodies = {}
    deadline = time.monotonic() + WAIT_SECONDS
    while set(contacts) - bodies.keys():
        assert time.monotonic() < deadline, f"no job reached the queue for {set(contacts) - bodies.keys()}"
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            if body["session_tok"] == tenant:
                bodies[body["chat_jid"]] = message["Body"]
    records = [{**record, "body": bodies[contact]} for record, contact in zip(event["Records"], contacts)]
    return {**event, "Records": records}, name, 60, private | private_values(event)


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_sample_logs_nothing_private_and_emits_its_metrics(sample, lambda_like_runtime, capsys, request):
    event, name, timeout, private = prepare(sample, request)
    lambda_like_runtime.seek(0)
    lambda_like_runtime.truncate()
    capsys.readouterr()

    invoke(name, event, timeout)

    stdout = capsys.readouterr().out
    lines = lambda_like_runtime.getvalue().splitlines()
    logs = [json.loads(line) for line in lines if line.strip()]
    kept = [line for line, record in zip(lines, logs) if record["level"] != "DEBUG"]  # what INFO, deployed, writes
    leaked = {value for value in private for line in kept if value in line}
    assert leaked == set(), f"the {name} function's INFO logs carry message text or phone numbers"
    emf = [json.loads(line) for line in stdout.splitlines() if line.startswith("{") and '"_aws"' in line]
    emitted = {m["Name"] for blob in emf for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    for blob in emf:
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == f"chatbatch/{STACK}"
        assert directive["Dimensions"] == [["service"]] and blob["service"] == global_env()["POWERTOOLS_SERVICE_NAME"]
    assert emitted <= {m.value for m in MetricName}
    if emitted:
        assert logs, "a handler that did work says so in a log line, DEBUG at least (and the capture works)"
    if expected_id := correlation_id_of(event, name):
        assert expected_id in {record.get("correlation_id") for record in logs}
    if sample in EXPECTED_METRICS:
        assert emitted == {m.value for m in EXPECTED_METRICS[sample]}


def test_at_the_deployed_level_a_routine_message_writes_no_log_line_and_a_duplicate_does(lambda_like_runtime):
    """A customer's message stored is in the database and counted by MessagesReceived: at INFO (as deployed) it
    writes no log line (each would cost a third of the handler's CPU outside the database: make bench --only
    ingest). Its retry, a duplicate, is worth reading: it logs at INFO, with the message id as correlation id."""
    logger.setLevel(global_env()["POWERTOOLS_LOG_LEVEL"])
    event = webhook(SEED, f"obs-{uuid.uuid4().hex[:10]}", message_id=f"obs-{uuid.uuid4().hex[:10]}")

    def logged_by(invocation: dict) -> list[dict]:
        lambda_like_runtime.seek(0)
        lambda_like_runtime.truncate()
        assert invoke("api", invocation)["statusCode"] == 200
        return [json.loads(line) for line in lambda_like_runtime.getvalue().splitlines() if line.strip()]

    assert logged_by(event) == []
    (duplicate,) = logged_by(event)
    assert duplicate["level"] == "INFO" and duplicate["status"] == "duplicate"
    assert duplicate["correlation_id"] == json.loads(event["body"])["message_id"]
