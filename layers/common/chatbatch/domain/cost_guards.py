"""Cost and abuse guards: when a job must not ask the LLM at all. Pure, no I/O (the store counts the usage).

Two limits, each a tenant setting with an environment default (docs/console.md):
- ``max_replies_per_hour``: LLM replies one chat may get in any rolling hour. A customer flooding the chat makes
  more bursts, never more LLM calls than this: a chat's jobs run one after another (its SQS FIFO group), so the
  count a job sees includes every earlier one.
- ``daily_token_budget``: LLM tokens (prompt + reply, as the LLM reported them) a tenant may spend per day of its
  time zone. Chats run in parallel, so the day may end above the budget by the replies already under way when it
  was reached (at most one per chat in flight).
A job over either is skipped with the reason; its bubbles stay in the history.
"""

from __future__ import annotations

from dataclasses import dataclass

OVER_BUDGET = "over budget"  # every guard's reason starts with this (jobs list, logs, the JobsOverBudget metric)


@dataclass(frozen=True)
class LlmUsage:
    """What the tenant and the chat spent on the LLM so far (database facts)."""

    chat_replies_last_hour: int  # jobs of this chat that asked the LLM in the last 60 minutes
    tenant_tokens_today: int  # tokens of the tenant's jobs that asked the LLM since its local midnight


def reason_over_budget(usage: LlmUsage, *, max_replies_per_hour: int, daily_token_budget: int) -> str | None:
    """Why this job may not ask the LLM, or None: it may."""
    if usage.chat_replies_last_hour >= max_replies_per_hour:
        return (
            f"{OVER_BUDGET}: this chat got {usage.chat_replies_last_hour} LLM replies in the last hour"
            f" (max_replies_per_hour {max_replies_per_hour})"
        )
    if usage.tenant_tokens_today >= daily_token_budget:
        return (
            f"{OVER_BUDGET}: the tenant used {usage.tenant_tokens_today} LLM tokens today"
            f" (daily_token_budget {daily_token_budget})"
        )
    return None


def is_over_budget(reason: str | None) -> bool:
    return reason is not None and reason.startswith(OVER_BUDGET)
