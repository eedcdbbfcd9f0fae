"""Powertools Logger, Tracer and Metrics shared by every function, and the names of our custom metrics.

Every metric the code emits is a member of ``MetricName``; the CloudWatch dashboard in template.yaml shows
exactly these (a test keeps the two in step). Namespace: ``POWERTOOLS_METRICS_NAMESPACE`` (template.yaml).
"""

from __future__ import annotations

from enum import Enum

from aws_lambda_powertools import Logger, Metrics, Tracer

DEFAULT_NAMESPACE = "chatbatch"

logger = Logger()
tracer = Tracer()
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
