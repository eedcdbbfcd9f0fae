"""In AWS the LLM key and the gateway token come from Secrets Manager by ARN (moto), through Powertools parameters,
and reach the real peers (loopback HTTP). A rotation needs no redeploy and loses no call: a key the peer refuses
(401/403) is read afresh once and the call made again; after SECRETS_MAX_AGE_SECONDS the new value is used
without a refusal."""

from __future__ import annotations

import time

import boto3
import pytest
from chatbatch import secrets
from chatbatch.adapters.gateway import gateway_from_settings
from chatbatch.adapters.llm import llm_from_settings
from chatbatch.domain.prompt import Prompt, Turn
from chatbatch.settings import WorkerSettings, load
from moto import mock_aws

from tests.support.worker import Peer, gateway_answer, http_peer, openai_answer

PROMPT = Prompt(system="s", turns=(Turn("user", "Halo"),))


def only_with(expected: dict[str, str], answer):
    """A peer that answers 401 unless the request carries the credential in ``expected["value"]`` right now."""

    def check(peer: Peer, request: dict):
        if peer.requests[-1]["headers"].get("Authorization") != f"Bearer {expected['value']}":
            return 401, {"error": {"message": "invalid api key"}}
        return answer(peer, request)

    return check


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    secrets.forget_cached_secrets()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
    secrets.forget_cached_secrets()


def worker_settings(monkeypatch, llm_url: str, gateway_url: str, llm_arn: str, gateway_arn: str, **more: str):
    for name, value in {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": llm_url,
        "LLM_API_KEY_SECRET_ARN": llm_arn,
        "LLM_MAX_RETRIES": "0",
        "GATEWAY": "http",
        "GATEWAY_URL": gateway_url,
        "GATEWAY_TOKEN_SECRET_ARN": gateway_arn,
        **more,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("LLM_API_KEY", "GATEWAY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return load(WorkerSettings)


def test_the_llm_key_and_gateway_token_are_read_from_secrets_manager(aws, monkeypatch):
    llm_arn = aws.create_secret(Name="chatbatch/llm-key", SecretString='{"api_key": "sk-from-sm"}')["ARN"]
    gateway_arn = aws.create_secret(Name="chatbatch/gateway-token", SecretString="gw-from-sm")["ARN"]
    with http_peer(openai_answer) as llm_server, http_peer(gateway_answer) as gateway_server:
        settings = worker_settings(monkeypatch, llm_server.url, gateway_server.url, llm_arn, gateway_arn)

        llm_from_settings(settings).complete(PROMPT)
        gateway_from_settings(settings).send(tenant="s", to="6281@s.whatsapp.net", text="Halo")

    assert llm_server.requests[0]["headers"]["Authorization"] == "Bearer sk-from-sm"
    assert gateway_server.requests[0]["headers"]["Authorization"] == "Bearer gw-from-sm"


def test_a_rotation_mid_traffic_loses_no_llm_call_and_no_send(aws, monkeypatch):
    # Given warm adapters that read both secrets before the rotation (cached for 300 s)
    llm_key, gateway_token = {"value": "sk-old"}, {"value": "gw-old"}
    llm_arn = aws.create_secret(Name="chatbatch/llm-key", SecretString='{"api_key": "sk-old"}')["ARN"]
    gateway_arn = aws.create_secret(Name="chatbatch/gateway-token", SecretString="gw-old")["ARN"]
    with (
        http_peer(only_with(llm_key, openai_answer)) as llm_server,
        http_peer(only_with(gateway_token, gateway_answer)) as gateway_server,
    ):
        settings = worker_settings(monkeypatch, llm_server.url, gateway_server.url, llm_arn, gateway_arn)
        llm, gateway = llm_from_settings(settings), gateway_from_settings(settings)
        outcomes = []
        for n in range(6):
            if n == 3:  # When both are rotated: the peers take only the new values from now on
                aws.put_secret_value(SecretId=llm_arn, SecretString='{"api_key": "sk-new"}')
                aws.put_secret_value(SecretId=gateway_arn, SecretString="gw-new")
                llm_key["value"], gateway_token["value"] = "sk-new", "gw-new"
            completion = llm.complete(PROMPT)
            sent = gateway.send(tenant="s", to="6281@s.whatsapp.net", text=completion.text)
            outcomes.append(sent.message_id)

    # Then every call went through; the first after the rotation was refused once and made again with the new value
    assert len(outcomes) == 6 and all(outcomes)
    used = [r["headers"]["Authorization"] for r in llm_server.requests]
    assert used == ["Bearer sk-old"] * 3 + ["Bearer sk-old", "Bearer sk-new"] + ["Bearer sk-new"] * 2
    sent_with = [r["headers"]["Authorization"] for r in gateway_server.requests]
    assert sent_with == ["Bearer gw-old"] * 3 + ["Bearer gw-old", "Bearer gw-new"] + ["Bearer gw-new"] * 2


def test_after_secrets_max_age_the_new_key_is_used_without_a_refusal(aws, monkeypatch):
    llm_arn = aws.create_secret(Name="chatbatch/llm-key", SecretString="sk-old")["ARN"]
    gateway_arn = aws.create_secret(Name="chatbatch/gateway-token", SecretString="gw")["ARN"]
    with http_peer(openai_answer) as llm_server:
        settings = worker_settings(
            monkeypatch, llm_server.url, llm_server.url, llm_arn, gateway_arn, SECRETS_MAX_AGE_SECONDS="1"
        )
        llm = llm_from_settings(settings)
        llm.complete(PROMPT)
        aws.put_secret_value(SecretId=llm_arn, SecretString="sk-new")

        deadline = time.monotonic() + 10
        while llm_server.requests[-1]["headers"]["Authorization"] != "Bearer sk-new" and time.monotonic() < deadline:
            llm.complete(PROMPT)
            time.sleep(0.2)

    assert llm_server.requests[-1]["headers"]["Authorization"] == "Bearer sk-new"
