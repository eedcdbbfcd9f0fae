"""LLM port and its adapters, chosen by ``LLM_PROVIDER``: ``echo`` (deterministic, local default), ``openai``
(any OpenAI-compatible chat-completions endpoint: OpenAI, Ollama, vLLM, ...) and ``bedrock`` (Converse API).

Every adapter answers a ``Prompt`` with a ``Completion`` (text, token usage, latency). Throttling and server
errors are retried with exponential backoff (``sleep`` is injectable, so tests never wait); anything else
raises ``LlmError`` at once.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from chatbatch import secrets
from chatbatch.adapters.http_json import HttpFailure, post_json
from chatbatch.domain.prompt import Prompt
from chatbatch.errors import ChatbatchError
from chatbatch.settings import WorkerSettings

T = TypeVar("T")
Sleep = Callable[[float], None]

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
MAX_REPLY_TOKENS = 1024


class LlmError(ChatbatchError):
    """The LLM gave no usable answer. ``retryable``: worth asking again (throttling, 5xx, network)."""

    code = "llm_error"

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    latency_ms: int  # the whole call, retries and backoff included: what the customer waits for
    provider: str
    model: str


class Llm(Protocol):
    provider: str
    model: str  # LLM_MODEL: the model asked when a call names none

    def complete(self, prompt: Prompt, *, model: str | None = None) -> Completion:
        """``model``: a tenant's own model (its llm_model setting), else ``self.model``."""
        ...


def estimate_tokens(text: str) -> int:
    """About four characters per token (OpenAI's rule of thumb): for providers that report no usage."""
    return math.ceil(len(text) / 4)


def prompt_tokens(prompt: Prompt) -> int:
    return estimate_tokens(prompt.system) + sum(estimate_tokens(turn.content) for turn in prompt.turns)


def with_retries(call: Callable[[], T], *, max_retries: int, sleep: Sleep) -> T:
    """``call()``, again after 0.5 s, 1 s, 2 s ... (capped; a server's Retry-After wins) while it is retryable."""
    attempt = 0
    while True:
        try:
            return call()
        except LlmError as exc:
            if not exc.retryable or attempt >= max_retries:
                raise
            delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
            sleep(max(delay, min(exc.retry_after or 0.0, BACKOFF_MAX_SECONDS)))
            attempt += 1


def worst_case_seconds(*, timeout: float, max_retries: int) -> float:
    """The longest one completion may take: every try runs into its timeout, every wait into its cap."""
    return (max_retries + 1) * timeout + max_retries * BACKOFF_MAX_SECONDS


class EchoLlm:
    """Deterministic and offline: answers with the customer's newest words. The local default and the benchmark's."""

    provider = "echo"

    def __init__(self, model: str = "echo") -> None:
        self.model = model

    def complete(self, prompt: Prompt, *, model: str | None = None) -> Completion:
        started = time.monotonic()
        text = f"Terima kasih! Kami sudah menerima pesan Anda: {prompt.newest_user_turn}"
        return Completion(
            text, prompt_tokens(prompt), estimate_tokens(text), _elapsed_ms(started), self.provider, model or self.model
        )


class OpenAiLlm:
    """POST ``{base_url}/chat/completions`` with a bearer key (stdlib HTTP: no SDK in the Lambda layer)."""

    provider = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | secrets.Secret | None,
        timeout: float,
        max_retries: int,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._api_key = secrets.as_secret(api_key)  # read on each call (cached): a rotated key is picked up
        self._timeout = timeout
        self._max_retries = max_retries
        self._sleep = sleep

    def complete(self, prompt: Prompt, *, model: str | None = None) -> Completion:
        started = time.monotonic()
        model = model or self.model
        messages = [{"role": "system", "content": prompt.system}]
        messages += [{"role": turn.role, "content": turn.content} for turn in prompt.turns]
        body = {"model": model, "messages": messages, "max_tokens": MAX_REPLY_TOKENS}
        answer = with_retries(lambda: self._post(body), max_retries=self._max_retries, sleep=self._sleep)
        try:
            text = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LlmError("the chat-completions answer has no choices[0].message.content", retryable=False) from None
        if not isinstance(text, str) or not text.strip():
            raise LlmError("the LLM answered with an empty reply", retryable=True)
        usage = answer.get("usage") or {}
        return Completion(
            text.strip(),
            int(usage.get("prompt_tokens") or prompt_tokens(prompt)),
            int(usage.get("completion_tokens") or estimate_tokens(text)),
            _elapsed_ms(started),
            self.provider,
            model,
        )

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            raw = secrets.with_fresh_secret(
                self._api_key,
                lambda key: post_json(self.url, body, bearer=key, timeout=self._timeout),
                refused=lambda exc: isinstance(exc, HttpFailure) and exc.status in (401, 403),
            )
        except HttpFailure as failure:
            retryable = failure.status is None or failure.status == 429 or failure.status >= 500
            raise LlmError(failure.reason, retryable=retryable, retry_after=_retry_after(failure.retry_after)) from None
        try:
            return json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise LlmError(f"{self.url} answered with something that is not JSON", retryable=True) from None


# Converse errors worth another try; anything else (validation, access denied, unknown model) is permanent.
_BEDROCK_RETRYABLE = {
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelTimeoutException",
    "ModelNotReadyException",
}


class BedrockLlm:
    """Amazon Bedrock's Converse API (boto3 ``bedrock-runtime``; the model id is ``LLM_MODEL``)."""

    provider = "bedrock"

    def __init__(self, *, model: str, client: Any, max_retries: int, sleep: Sleep = time.sleep) -> None:
        self.model = model
        self._client = client
        self._max_retries = max_retries
        self._sleep = sleep

    @classmethod
    def connect(cls, *, model: str, region: str, timeout: float, max_retries: int) -> BedrockLlm:
        import boto3  # lazily: only a bedrock worker pays for it
        from botocore.config import Config

        # Our own backoff does the retrying, so botocore's is off: one policy, visible in one place.
        config = Config(read_timeout=timeout, connect_timeout=min(timeout, 10), retries={"max_attempts": 1})
        client = boto3.client("bedrock-runtime", region_name=region, config=config)
        return cls(model=model, client=client, max_retries=max_retries)

    def complete(self, prompt: Prompt, *, model: str | None = None) -> Completion:
        started = time.monotonic()
        model = model or self.model
        request = {
            "modelId": model,
            "system": [{"text": prompt.system}],
            "messages": [{"role": turn.role, "content": [{"text": turn.content}]} for turn in prompt.turns],
            "inferenceConfig": {"maxTokens": MAX_REPLY_TOKENS},
        }
        answer = with_retries(lambda: self._converse(request), max_retries=self._max_retries, sleep=self._sleep)
        try:
            text = "".join(part.get("text", "") for part in answer["output"]["message"]["content"]).strip()
        except (KeyError, TypeError):
            raise LlmError("the Converse answer has no output.message.content", retryable=False) from None
        if not text:
            raise LlmError("the LLM answered with an empty reply", retryable=True)
        usage = answer.get("usage") or {}
        return Completion(
            text,
            int(usage.get("inputTokens", 0)),
            int(usage.get("outputTokens", 0)),
            _elapsed_ms(started),
            self.provider,
            model,
        )

    def _converse(self, request: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._client.converse(**request)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            raise LlmError(
                f"Bedrock Converse failed: {code or status}",
                retryable=code in _BEDROCK_RETRYABLE or status == 429 or status >= 500,
            ) from None
        except BotoCoreError as exc:  # timeouts, connection errors
            raise LlmError(f"Bedrock Converse failed: {type(exc).__name__}", retryable=True) from None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: our own backoff is close enough


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def llm_from_settings(settings: WorkerSettings) -> Llm:
    if settings.llm_provider == "echo":
        return EchoLlm()
    if settings.llm_provider == "openai":
        api_key = secrets.secret(
            settings.llm_api_key, settings.llm_api_key_secret_arn, json_key="api_key", settings=settings
        )
        return OpenAiLlm(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=api_key,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )
    return BedrockLlm.connect(
        model=settings.llm_model,
        region=settings.aws_region,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
    )
