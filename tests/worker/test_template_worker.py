"""template.yaml's worker and the code cannot drift: its variables are WorkerSettings fields, its max receives
match the queue's redrive policy (and the local queue's), one job's worst case fits the function's timeout, the
lease and the visibility timeout, the Gateway parameter offers what the code sends through, and Bedrock access is
scoped to the model."""

from __future__ import annotations

from typing import get_args

from chatbatch.domain.sending import retry_delay
from chatbatch.domain.takeover import ECHO_TEXT_WINDOW
from chatbatch.settings import GatewaySettings, WorkerSettings
from chatbatch_local.lambda_runtime import load_function
from chatbatch_local.sqs import MAX_RECEIVE_COUNT
from chatbatch_local.worker_poller import MAX_MESSAGES

from tests.deploy import template

job_budget = load_function("worker").job_budget

resources = template.resources


def test_every_worker_variable_is_a_worker_setting():
    variables = resources()["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    fields = {name.upper() for name in WorkerSettings.model_fields}

    assert {v for v in variables if not v.startswith("POWERTOOLS_")} <= fields


def test_the_worker_gives_up_exactly_when_the_queue_dead_letters():
    variables = resources()["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    redrive = resources()["JobsQueue"]["Properties"]["RedrivePolicy"]

    assert int(variables["WORKER_MAX_RECEIVES"]) == redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT


def test_bedrock_invoke_is_scoped_to_the_configured_model():
    # template.yaml gives each function its own role; the Bedrock statement exists only when LlmProvider=bedrock.
    role = resources()["WorkerFunctionRole"]["Properties"]["Policies"]
    statements = [
        s["Fn::If"][1] if "Fn::If" in s else s for policy in role for s in policy["PolicyDocument"]["Statement"]
    ]
    [bedrock] = [s for s in statements if s.get("Action") == ["bedrock:InvokeModel"]]

    assert bedrock["Resource"] != "*"
    assert all("${LlmModel}" in resource["Fn::Sub"] for resource in bedrock["Resource"])


def worker_settings_of_the_template() -> WorkerSettings:
    """WorkerSettings as the deployed worker builds them from its template environment."""
    variables = template.functions()["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    plain = {name.lower(): value for name, value in variables.items() if isinstance(value, str | int | float)}
    return WorkerSettings.model_validate(plain)


def test_one_jobs_timeouts_retries_and_backoff_fit_the_function_the_lease_and_the_visibility_timeout():
    worker = template.functions()["WorkerFunction"]["Properties"]
    queue = template.resources()["JobsQueue"]["Properties"]
    settings = worker_settings_of_the_template()

    budget = job_budget(settings)  # LLM tries x timeout + waits, one gateway call, database work

    assert budget == 3 * 15 + 2 * 8 + 10 + 2 * 5 == 81
    assert budget < worker["Timeout"] < settings.worker_job_lease_seconds < queue["VisibilityTimeout"]
    # a handed-back job never waits longer than the queue would have made it wait anyway
    assert retry_delay(settings.worker_max_receives) < queue["VisibilityTimeout"]
    assert settings.gateway_echo_wait_seconds < queue["VisibilityTimeout"]


def test_the_worker_takes_one_job_per_invocation_and_hands_failures_back_to_its_queue():
    worker = template.functions()["WorkerFunction"]["Properties"]
    variables = worker["Environment"]["Variables"]

    assert worker["Events"]["Jobs"]["Properties"]["BatchSize"] == 1 == MAX_MESSAGES  # `make dev` polls the same
    assert variables["QUEUE_URL"] == {"Ref": "JobsQueue"}
    assert "sqs:ChangeMessageVisibility" in str(template.resources()["WorkerFunctionRole"])


def test_the_gateway_parameter_offers_exactly_the_gateways_the_code_sends_through():
    allowed = template.template()["Parameters"]["Gateway"]["AllowedValues"]

    assert allowed == list(get_args(GatewaySettings.model_fields["gateway"].annotation))
    assert template.template()["Parameters"]["GatewayTyping"]["AllowedValues"] == ["true", "false"]


def test_the_echo_wait_is_within_the_window_an_identical_text_counts_as_the_echo():
    limit = next(m.le for m in WorkerSettings.model_fields["gateway_echo_wait_seconds"].metadata if hasattr(m, "le"))

    assert limit == ECHO_TEXT_WINDOW.total_seconds()
