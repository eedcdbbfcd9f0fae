"""Fixtures for the worker: a real OpenAI-compatible server and a real gateway server on loopback, and the
worker function configured to use them (in-process, as Lambda would call it)."""

from __future__ import annotations

import pytest
from chatbatch.adapters import llm as llm_module

from tests.support.worker import gateway_answer, http_peer, openai_answer

LLM_KEY = "sk-test-key"
GATEWAY_TOKEN = "gw-test-token"


@pytest.fixture
def llm_server():
    with http_peer(openai_answer) as peer:
        yield peer


@pytest.fixture
def gateway_server():
    with http_peer(gateway_answer) as peer:
        yield peer


@pytest.fixture
def worker(database_url, llm_server, gateway_server, monkeypatch, reset_settings):
    """The worker function wired to the local peers: openai provider, http gateway, small history window."""
    from chatbatch_local.lambda_runtime import load_function

    for name, value in {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": f"{llm_server.url}/v1",
        "LLM_MODEL": "test-model",
        "LLM_API_KEY": LLM_KEY,
        "LLM_MAX_RETRIES": "2",
        "GATEWAY": "http",
        "GATEWAY_URL": f"{gateway_server.url}/send/message",
        "GATEWAY_TOKEN": GATEWAY_TOKEN,
        "SYSTEM_PROMPT": "Kamu asisten toko.",
        "HISTORY_CONTEXT_MESSAGES": "4",
        "WORKER_MAX_RECEIVES": "3",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(llm_module, "BACKOFF_BASE_SECONDS", 0.001)  # backoff is real, just short
    function = load_function("worker")
    function._ports.cache_clear()
    yield function
    function._ports.cache_clear()
