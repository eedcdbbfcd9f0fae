"""In AWS the LLM key and the gateway token come from Secrets Manager by ARN (moto), and reach the real peers."""

from __future__ import annotations

import boto3
from chatbatch.adapters.gateway import gateway_from_settings
from chatbatch.adapters.llm import llm_from_settings
from chatbatch.domain.prompt import Prompt, Turn
from chatbatch.settings import WorkerSettings, load
from moto import mock_aws


def test_the_llm_key_and_gateway_token_are_read_from_secrets_manager(monkeypatch, llm_server, gateway_server):
    with mock_aws():
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        client = boto3.client("secretsmanager", region_name="us-east-1")
        llm_arn = client.create_secret(Name="chatbatch/llm-key", SecretString='{"api_key": "sk-from-sm"}')["ARN"]
        gateway_arn = client.create_secret(Name="chatbatch/gateway-token", SecretString="gw-from-sm")["ARN"]
        for name, value in {
            "LLM_PROVIDER": "openai",
            "LLM_BASE_URL": llm_server.url,
            "LLM_API_KEY_SECRET_ARN": llm_arn,
            "GATEWAY": "http",
            "GATEWAY_URL": gateway_server.url,
            "GATEWAY_TOKEN_SECRET_ARN": gateway_arn,
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("LLM_API_KEY", "GATEWAY_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        settings = load(WorkerSettings)
        llm, gateway = llm_from_settings(settings), gateway_from_settings(settings)

    llm.complete(Prompt(system="s", turns=(Turn("user", "Halo"),)))
    gateway.send(session_token="s", to="6281@s.whatsapp.net", text="Halo")

    assert llm_server.requests[0]["headers"]["Authorization"] == "Bearer sk-from-sm"
    assert gateway_server.requests[0]["headers"]["Authorization"] == "Bearer gw-from-sm"
