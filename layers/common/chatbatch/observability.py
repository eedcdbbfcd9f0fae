"""Powertools Logger, Tracer and Metrics shared by every function, and the names of our custom metrics.

Every metric the code emits is a member of ``MetricName``; the CloudWatch dashboard in template.yaml shows
exactly these (a test keeps the two in step). Namespace: ``POWERTOOLS_METRICS_NAMESPACE`` (template.yaml).

``tracer`` is Powertools' Tracer built only when tracing is on (in Lambda, POWERTOOLS_TRACE_DISABLED unset): even a
disabled ``Tracer()`` imports the X-Ray SDK and botocore (~150 ms of a cold start). It patches only botocore (the
AWS calls: SQS, Secrets Manager, Bedrock); the use cases carry ``tracer.capture_method``, so a trace shows ingest,
sweep, reply, the LLM call and each gateway send as segments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer

DEFAULT_NAMESPACE = "chatbatch"
PATCHED_MODULES = ("botocore",)

F = TypeVar("F", bound=Callable[..., Any])


class LazyTracer:
    """Powertools' ``capture_lambda_handler`` and ``capture_method``, through a Tracer that exists only while
    tracing is on; off, a decorated function runs as it is."""

    def __init__(self, patch_modules: Sequence[str] = PATCHED_MODULES) -> None:
        self._patch_modules = tuple(patch_modules)
        # Powertools' own rule (its env variable, outside Lambda, SAM local): no Tracer is built to learn it.
        self._tracer: Tracer | None = None if Tracer._is_tracer_disabled() else self._build()

    def _build(self) -> Tracer:
        tracer = Tracer(auto_patch=False)
        tracer.patch(self._patch_modules)
        return tracer

    def use(self, tracer: Tracer | None) -> None:
        """Trace through ``tracer`` from now on (None: tracing off); tests pass one with a recording provider."""
        self._tracer = tracer

    @property
    def active(self) -> Tracer | None:
        return self._tracer

    def capture_lambda_handler(self, handler: F) -> F:
        return self._lazily(handler, lambda tracer, f: tracer.capture_lambda_handler(f))

    def capture_method(self, method: F) -> F:
        return self._lazily(method, lambda tracer, f: tracer.capture_method(f))

    def _lazily(self, function: F, decorate: Callable[[Tracer, F], F]) -> F:
        decorated: dict[Tracer, F] = {}  # per tracer: Powertools' wrapper, built on the first traced call

        @functools.wraps(function)
        def traced(*args: Any, **kwargs: Any) -> Any:
            tracer = self._tracer
            if tracer is None:
                return function(*args, **kwargs)
            if tracer not in decorated:
                decorated.clear()
                decorated[tracer] = decorate(tracer, function)
            return decorated[tracer](*args, **kwargs)

        return traced  # type: ignore[return-value]


logger = Logger()
tracer = LazyTracer()
metrics = Metrics()
if not metrics.namespace:  # local runs without the template's environment still emit valid EMF
    metrics.namespace = DEFAULT_NAMESPACE


class MetricName(str, Enum):
    MESSAGES_RECEIVED = "MessagesReceived"
    DUPLICATE_WEBHOOKS = "DuplicateWebhooks"
    REJECTED_WEBHOOKS = "RejectedWebhooks"
    IGNORED_WEBHOOK_EVENTS = "IgnoredWebhookEvents"  # gateway events chatbatch does not use (status, presence, …)
    BATCHES_CREATED = "BatchesCreated"
    BUBBLES_PER_BATCH = "BubblesPerBatch"
    DEBOUNCE_DELAY = "DebounceDelay"
    JOBS_ENQUEUED = "JobsEnqueued"
    SWEEP_DURATION = "SweepDuration"
    LLM_LATENCY = "LlmLatency"
    LLM_TOKENS_IN = "LlmTokensIn"
    LLM_TOKENS_OUT = "LlmTokensOut"
    REPLIES_SENT = "RepliesSent"
    REPLY_FAILURES = "ReplyFailures"
    JOBS_OVER_BUDGET = "JobsOverBudget"  # skipped by a cost guard: no LLM call (domain/cost_guards.py)
    REPLY_LATENCY = "EndToEndReplyLatency"
    TAKEOVERS = "Takeovers"
