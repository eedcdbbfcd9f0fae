"""The cost guards' pure rule: at or over either limit a job may not ask the LLM, and the reason names it."""

from __future__ import annotations

from chatbatch.domain.cost_guards import LlmUsage, is_over_budget, reason_over_budget

LIMITS = {"max_replies_per_hour": 3, "daily_token_budget": 1000}


def test_under_both_limits_the_llm_may_be_asked():
    assert reason_over_budget(LlmUsage(chat_replies_last_hour=2, tenant_tokens_today=999), **LIMITS) is None


def test_the_chats_hourly_cap_is_reached_at_its_value():
    reason = reason_over_budget(LlmUsage(chat_replies_last_hour=3, tenant_tokens_today=0), **LIMITS)

    assert reason is not None and is_over_budget(reason)
    assert "3 LLM replies in the last hour" in reason and "max_replies_per_hour 3" in reason


def test_the_tenants_daily_budget_is_reached_at_its_value():
    reason = reason_over_budget(LlmUsage(chat_replies_last_hour=0, tenant_tokens_today=1000), **LIMITS)

    assert reason is not None and is_over_budget(reason) and "daily_token_budget 1000" in reason


def test_other_skip_reasons_are_not_over_budget():
    assert not is_over_budget("the bot is off for this tenant") and not is_over_budget(None)
