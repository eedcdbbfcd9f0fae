"""The debounce rule as a pure function: no database, explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from chatbatch.domain.debounce import Bubble, DebounceRule, PendingChat, Readiness
from hypothesis import given
from hypothesis import strategies as st

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
RULE = DebounceRule(debounce_seconds=3, max_wait_seconds=30, max_batch_messages=50)


def chat(*ages_seconds: float) -> PendingChat:
    """Bubbles that arrived ``ages_seconds`` before NOW, oldest first, with ids in arrival order."""
    ordered = sorted(ages_seconds, reverse=True)
    return PendingChat(
        "sess",
        "628@s.whatsapp.net",
        tuple(Bubble(i + 1, NOW - timedelta(seconds=age)) for i, age in enumerate(ordered)),
    )


def test_a_burst_is_ready_once_the_newest_bubble_is_a_window_old():
    batch = RULE.next_batch(chat(5.0, 4.0, 3.0), NOW)

    assert batch is not None and batch.reason is Readiness.QUIET
    assert batch.message_ids == (1, 2, 3)
    assert (batch.first_message_at, batch.last_message_at) == (NOW - timedelta(seconds=5), NOW - timedelta(seconds=3))


def test_old_bubbles_of_a_chat_still_typing_are_not_ready():
    # A per-bubble age rule ("older than 3 s") batches the 10 s and 6 s old bubbles here and leaves the one
    # typed a second ago for a second job: one burst, two replies. The window belongs to the chat.
    assert RULE.next_batch(chat(10.0, 6.0, 1.0), NOW) is None


def test_each_bubble_restarts_the_window():
    assert (
        RULE.readiness(
            newest_at=NOW - timedelta(seconds=2.999), oldest_at=NOW - timedelta(seconds=20), pending=5, now=NOW
        )
        is Readiness.WAITING
    )
    assert (
        RULE.readiness(newest_at=NOW - timedelta(seconds=3), oldest_at=NOW - timedelta(seconds=20), pending=5, now=NOW)
        is Readiness.QUIET
    )


def test_a_contact_who_never_pauses_is_answered_after_the_max_wait():
    batch = RULE.next_batch(chat(30.0, 20.0, 10.0, 0.5), NOW)

    assert batch is not None and batch.reason is Readiness.MAX_WAIT and batch.size == 4


def test_the_batch_cap_forces_a_job_of_the_oldest_bubbles_and_leaves_the_rest():
    rule = DebounceRule(debounce_seconds=3, max_wait_seconds=30, max_batch_messages=3)
    batch = rule.next_batch(chat(2.0, 1.8, 1.6, 1.4, 1.2), NOW)

    assert batch is not None and batch.reason is Readiness.FULL
    assert batch.message_ids == (1, 2, 3)
    assert batch.last_message_at == NOW - timedelta(seconds=1.6)


def test_a_chat_with_no_pending_bubbles_makes_no_job():
    assert RULE.next_batch(PendingChat("sess", "jid", ()), NOW) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"debounce_seconds": 0, "max_wait_seconds": 30, "max_batch_messages": 50},
        {"debounce_seconds": 3, "max_wait_seconds": -1, "max_batch_messages": 50},
        {"debounce_seconds": 3, "max_wait_seconds": 30, "max_batch_messages": 0},
    ],
)
def test_a_rule_that_could_never_or_always_fire_is_refused(fields):
    with pytest.raises(ValueError):
        DebounceRule(**fields)


ages = st.lists(st.integers(min_value=0, max_value=60_000), min_size=1, max_size=80)


@given(ages_ms=ages, debounce_ms=st.integers(1, 10_000), max_wait_ms=st.integers(1, 60_000), cap=st.integers(1, 60))
def test_ready_exactly_when_one_of_the_three_reasons_holds(ages_ms, debounce_ms, max_wait_ms, cap):
    rule = DebounceRule(debounce_ms / 1000, max_wait_ms / 1000, cap)
    batch = rule.next_batch(chat(*(a / 1000 for a in ages_ms)), NOW)

    expected = min(ages_ms) >= debounce_ms or max(ages_ms) >= max_wait_ms or len(ages_ms) >= cap
    assert (batch is not None) == expected
    if batch is not None:
        assert batch.message_ids == tuple(range(1, min(cap, len(ages_ms)) + 1))
