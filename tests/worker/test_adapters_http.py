"""The OpenAI-compatible LLM adapter and the http gateway adapter against real HTTP servers on loopback."""

from __future__ import annotations

import time

import pytest
from chatbatch.adapters.gateway import GatewayError, HttpGateway, LogGateway
from chatbatch.adapters.llm import LlmError, OpenAiLlm
from chatbatch.domain.prompt import Prompt, Turn

from tests.support.worker import http_peer

PROMPT = Prompt(system="Kamu asisten.", turns=(Turn("user", "Halo"),))


def openai(url: str, **overrides) -> tuple[OpenAiLlm, list[float]]:
    slept: list[float] = []
    options = (
        dict(base_url=f"{url}/v1/", model="llama3", api_key="sk-1", timeout=2.0, max_retries=2, sleep=slept.append)
        | overrides
    )
    return OpenAiLlm(**options), slept


def test_openai_adapter_posts_chat_completions_and_reads_usage(llm_server):
    llm, _ = openai(llm_server.url)

    completion = llm.complete(PROMPT)

    [request] = llm_server.requests
    assert request["path"] == "/v1/chat/completions"  # a trailing slash in the base URL is fine
    assert request["headers"]["Authorization"] == "Bearer sk-1"
    assert request["json"]["model"] == "llama3"
    assert request["json"]["messages"] == [
        {"role": "system", "content": "Kamu asisten."},
        {"role": "user", "content": "Halo"},
    ]
    assert (completion.text, completion.tokens_in, completion.tokens_out) == ("Jawaban untuk: Halo", 42, 7)


def test_openai_adapter_retries_5xx_and_429_but_not_4xx(llm_server):
    llm_server.script = [500, 429]
    llm, slept = openai(llm_server.url)
    assert llm.complete(PROMPT).text == "Jawaban untuk: Halo"
    assert len(llm_server.requests) == 3 and slept == [0.5, 1.0]

    llm_server.script = [400]
    with pytest.raises(LlmError, match="HTTP 400") as raised:
        llm.complete(PROMPT)
    assert not raised.value.retryable


def test_openai_adapter_times_out_and_reports_an_unreachable_server():
    with http_peer(lambda peer, request: time.sleep(0.5) or {}) as slow:
        llm, _ = openai(slow.url, timeout=0.1, max_retries=0)
        with pytest.raises(LlmError, match="no answer from") as raised:
            llm.complete(PROMPT)
    assert raised.value.retryable


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"message_id": "3EB0A1"}, "3EB0A1"),
        ({"id": "true_6281@c.us_3EB0A2"}, "true_6281@c.us_3EB0A2"),  # WAHA
        ({"code": "SUCCESS", "data": {"messageId": "3EB0A3"}}, "3EB0A3"),
        ({"status": "sent"}, None),
    ],
)
def test_http_gateway_posts_the_reply_with_bearer_token_and_records_the_message_id(answer, expected):
    with http_peer(lambda peer, request: answer) as gateway:
        sent = HttpGateway(url=f"{gateway.url}/send", token="gw", timeout=2).send(
            tenant="sess", to="6281@s.whatsapp.net", text="Halo kak"
        )

    assert sent.message_id == expected
    [request] = gateway.requests
    assert request["path"] == "/send" and request["headers"]["Authorization"] == "Bearer gw"
    assert request["json"] == {"session_token": "sess", "to": "6281@s.whatsapp.net", "text": "Halo kak"}


def test_http_gateway_failure_is_a_gateway_error(gateway_server):
    gateway_server.script = [503]
    with pytest.raises(GatewayError, match="HTTP 503"):
        HttpGateway(url=gateway_server.url, token=None, timeout=2).send(tenant="s", to="t", text="x")


def test_log_gateway_sends_nothing_and_names_no_id():
    assert LogGateway().send(tenant="s", to="t", text="x").message_id is None
