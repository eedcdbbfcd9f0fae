"""The api function's cold start: importing it loads no settings and none of the resolver's machinery; a gateway's
webhook is answered without it, exactly as the resolver answers; the first other request builds the resolver."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from chatbatch.api import front
from chatbatch_local.lambda_runtime import LambdaContext, http_api_event

from tests.deploy.template import REPO_ROOT
from tests.support import SECRET, load_event, webhook_event

# Loaded only when a request needs them: the resolver, its OpenAPI machinery, the history and console routes.
LAZY = (
    "chatbatch.api.resolver",
    "chatbatch.api.openapi",
    "chatbatch.api.history",
    "chatbatch.api.console",
    "chatbatch.api.ui",
    "aws_lambda_powertools.event_handler",
)
# Never on the api function's path: pydantic-settings (settings are plain models), the X-Ray SDK with tracing off.
NEVER = ("pydantic_settings", "aws_xray_sdk", "boto3")

_PROBE = """
import json, os, sys
sys.path[:0] = ["layers/common", "local"]
from chatbatch_local.lambda_runtime import LambdaContext, load_function
from chatbatch import settings

def state():
    return {"modules": sorted(m for m in sys.modules if m.startswith(tuple(%(watched)r))),
            "settings": [model.__name__ for model in settings._loaded]}

api = load_function("api")
after = {"import": state()}
for step, event in json.loads(sys.stdin.read()):
    answer = api.lambda_handler(event, LambdaContext(function_name="api"))
    after[step] = {**state(), "status": answer["statusCode"]}
print(json.dumps(after))
"""


def run_fresh_api(env: dict[str, str], steps: list[tuple[str, dict]]) -> dict:
    """A fresh interpreter (a Lambda cold start): what it loaded after the import and after each request."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE % {"watched": LAZY + NEVER + ("chatbatch.api.webhooks",)}],
        input=json.dumps(steps),
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def lambda_env(database_url) -> dict[str, str]:
    import os

    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DATABASE_URL": database_url,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def test_the_import_reads_no_settings_and_loads_no_resolver(lambda_env):
    # Given settings that cannot be read (a cold start must not fail on them: the first request reports them)
    after = run_fresh_api({**lambda_env, "DB_PORT": "not-a-port"}, [])

    assert after["import"] == {"modules": [], "settings": []}


def test_a_webhook_is_answered_without_the_resolver_and_the_first_other_request_builds_it(lambda_env, tenant):
    message = {
        "session_token": tenant,
        "message_id": f"m-{uuid.uuid4().hex}",
        "from": "6281@c.us",
        "to": "6280@c.us",
    }
    after = run_fresh_api(
        lambda_env,
        [("webhook", webhook_event(message)), ("health", http_api_event("GET", "/health", "", {}, b""))],
    )

    assert after["webhook"]["status"] == 200
    assert after["webhook"]["settings"] == ["ApiSettings"]
    assert after["webhook"]["modules"] == ["chatbatch.api.webhooks"]
    assert after["health"]["status"] == 200
    assert set(LAZY) <= set(after["health"]["modules"])
    assert not set(NEVER) & set(after["health"]["modules"])


def answers_of_both_paths(event: dict) -> tuple[dict, dict]:
    """The front's answer and the full resolver's to the same request."""
    return front.resolve(event, LambdaContext()), front.full_app().resolve(event, LambdaContext())


@pytest.mark.parametrize(
    "sample",
    ["webhook_bad_secret.json", "webhook_meta_bad_signature.json", "webhook_gowa_presence.json"],
)
def test_the_front_answers_a_webhook_exactly_as_the_resolver(sample, api_function):
    ours, resolvers = answers_of_both_paths(load_event(sample))

    assert ours == resolvers


def test_a_stored_message_is_answered_alike_on_both_paths(api_function, tenant):
    message = {"session_token": tenant, "message_id": "m-1", "from": "6281@c.us", "to": "6280@c.us"}
    ours, resolvers = answers_of_both_paths(webhook_event(message))

    assert json.loads(ours["body"]) | {"status": "duplicate"} == json.loads(resolvers["body"])
    assert {k: v for k, v in ours.items() if k != "body"} == {k: v for k, v in resolvers.items() if k != "body"}


def test_meta_verification_and_bad_requests_are_answered_alike(api_function, monkeypatch, reset_settings):
    monkeypatch.setenv("META_VERIFY_TOKEN", "verify-me")
    query = "hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"
    for event in (
        http_api_event("GET", "/webhook/meta", query, {}, b""),
        http_api_event("GET", "/webhook/meta", "hub.mode=subscribe&hub.verify_token=wrong", {}, b""),
        http_api_event("POST", "/webhook", "", {"x-webhook-secret": SECRET}, b"not json"),
        http_api_event("POST", "/webhook", "", {"x-webhook-secret": SECRET}, b"\xff\xfe"),
    ):
        ours, resolvers = answers_of_both_paths(event)
        assert ours == resolvers


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/webhook/", {}),  # not a route: the resolver's 404
        ("PUT", "/webhook", {}),
        ("POST", "/webhook/evolution/a%20b", {}),
        ("POST", "/webhook", {"origin": "https://ui.example"}),  # CORS is the resolver's
        ("OPTIONS", "/webhook", {"origin": "https://ui.example", "access-control-request-method": "POST"}),
    ],
)
def test_anything_but_a_plain_webhook_goes_to_the_resolver(method, path, headers):
    assert front._webhook_route(http_api_event(method, path, "", headers, b"{}")) is None


def test_the_front_knows_exactly_the_webhook_routes_the_document_declares():
    from chatbatch.api.resolver import create_app
    from chatbatch.settings import ApiSettings

    document = create_app(ApiSettings()).get_openapi_schema()
    declared = {
        (method.upper(), path)
        for path, item in document.paths.items()
        if path.startswith("/webhook")
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(item, method) is not None
    }

    assert {(method, path.replace("<", "{").replace(">", "}")) for method, path, _ in front.WEBHOOK_ROUTES} == declared
