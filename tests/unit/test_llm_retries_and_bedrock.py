"""LLM adapters without a network: backoff policy with an injected sleep, the echo provider, and Bedrock
Converse through botocore's Stubber (the real client, its request validated against the service model)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from chatbatch.adapters.llm import BedrockLlm, EchoLlm, LlmError, with_retries
from chatbatch.domain.prompt import Prompt, Turn

PROMPT = Prompt(
    system="Kamu asisten toko.",
    turns=(Turn("user", "Ada stok?"), Turn("assistant", "Ada kak"), Turn("user", "Halo\nSaya mau")),
)


def flaky(errors: list[LlmError], result: str = "ok"):
    calls = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return call, calls


def test_retryable_errors_back_off_exponentially_then_succeed():
    slept: list[float] = []
    call, calls = flaky([LlmError("503", retryable=True), LlmError("429", retryable=True)])

    assert with_retries(call, max_retries=3, sleep=slept.append) == "ok"
    assert len(calls) == 3 and slept == [0.5, 1.0]


def test_a_servers_retry_after_is_honoured_and_permanent_errors_are_not_retried():
    slept: list[float] = []
    call, _ = flaky([LlmError("429", retryable=True, retry_after=3)])
    with_retries(call, max_retries=3, sleep=slept.append)
    assert slept == [3]

    call, calls = flaky([LlmError("401", retryable=False)])
    with pytest.raises(LlmError):
        with_retries(call, max_retries=3, sleep=slept.append)
    assert len(calls) == 1


def test_retries_stop_after_the_configured_number():
    call, calls = flaky([LlmError("503", retryable=True)] * 5)
    with pytest.raises(LlmError):
        with_retries(call, max_retries=2, sleep=lambda _: None)
    assert len(calls) == 3


def test_the_echo_provider_is_deterministic_and_counts_tokens():
    first, second = EchoLlm().complete(PROMPT), EchoLlm().complete(PROMPT)

    assert first.text == second.text and first.text.endswith("Halo\nSaya mau")
    assert first.tokens_in > 0 and first.tokens_out > 0 and first.provider == "echo"


def bedrock() -> tuple[BedrockLlm, Stubber, list[float]]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    slept: list[float] = []
    return (
        BedrockLlm(model="anthropic.claude-3-haiku-20240307-v1:0", client=client, max_retries=2, sleep=slept.append),
        Stubber(client),
        slept,
    )


CONVERSE_OK = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Baik kak, produk apa?"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 31, "outputTokens": 6, "totalTokens": 37},
    "metrics": {"latencyMs": 420},
}


def test_bedrock_converse_gets_system_history_and_burst_and_reports_usage():
    llm, stubber, _ = bedrock()
    stubber.add_response(
        "converse",
        CONVERSE_OK,
        {
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
            "system": [{"text": "Kamu asisten toko."}],
            "messages": [
                {"role": "user", "content": [{"text": "Ada stok?"}]},
                {"role": "assistant", "content": [{"text": "Ada kak"}]},
                {"role": "user", "content": [{"text": "Halo\nSaya mau"}]},
            ],
            "inferenceConfig": {"maxTokens": 1024},
        },
    )

    with stubber:
        completion = llm.complete(PROMPT)

    stubber.assert_no_pending_responses()
    assert (completion.text, completion.tokens_in, completion.tokens_out) == ("Baik kak, produk apa?", 31, 6)
    assert completion.provider == "bedrock"


def test_bedrock_throttling_is_retried_and_access_denied_is_not():
    llm, stubber, slept = bedrock()
    stubber.add_client_error("converse", "ThrottlingException", http_status_code=429)
    stubber.add_response("converse", CONVERSE_OK)
    with stubber:
        assert llm.complete(PROMPT).text == "Baik kak, produk apa?"
    assert slept == [0.5]

    llm, stubber, slept = bedrock()
    stubber.add_client_error("converse", "AccessDeniedException", http_status_code=403)
    with stubber, pytest.raises(LlmError, match="AccessDeniedException") as raised:
        llm.complete(PROMPT)
    assert not raised.value.retryable and slept == []
