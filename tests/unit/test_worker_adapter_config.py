"""Choosing adapters from WorkerSettings: defaults are offline, a half-configured http gateway is a clear error."""

from __future__ import annotations

import pytest
from chatbatch.adapters.gateway import HttpGateway, LogGateway, gateway_from_settings
from chatbatch.adapters.llm import EchoLlm, OpenAiLlm, llm_from_settings
from chatbatch.errors import ConfigurationError
from chatbatch.settings import WorkerSettings, load


def test_the_defaults_need_no_network_and_no_secrets(monkeypatch):
    for name in ("LLM_PROVIDER", "GATEWAY", "LLM_API_KEY", "GATEWAY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load(WorkerSettings)

    assert isinstance(llm_from_settings(settings), EchoLlm)
    assert isinstance(gateway_from_settings(settings), LogGateway)


def test_openai_and_http_gateway_take_their_keys_from_the_environment(monkeypatch):
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("LLM_API_KEY", "sk-local")
    monkeypatch.setenv("GATEWAY", "http")
    monkeypatch.setenv("GATEWAY_URL", "http://127.0.0.1:9/send")
    settings = load(WorkerSettings)

    llm = llm_from_settings(settings)
    assert isinstance(llm, OpenAiLlm) and llm.url == "http://127.0.0.1:11434/v1/chat/completions"
    assert isinstance(gateway_from_settings(settings), HttpGateway)


def test_an_http_gateway_without_url_and_an_unknown_provider_are_named(monkeypatch):
    monkeypatch.setenv("GATEWAY", "http")
    monkeypatch.delenv("GATEWAY_URL", raising=False)
    with pytest.raises(ConfigurationError, match="GATEWAY_URL"):
        gateway_from_settings(load(WorkerSettings))

    monkeypatch.setenv("LLM_PROVIDER", "gpt")
    with pytest.raises(ConfigurationError, match="LLM_PROVIDER"):
        load(WorkerSettings)
