"""Sending a reply's parts at most once: what happens to each part, message keys, references, retry delays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from chatbatch.domain.sending import (
    Action,
    PartStatus,
    ReplyPart,
    generated_message_id,
    message_key,
    next_action,
    parse_part_reference,
    part_reference,
    retry_delay,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WAIT = timedelta(seconds=60)


def part(status: PartStatus, *, sending_at: datetime | None = None, echo_ids: tuple[str, ...] = ()) -> ReplyPart:
    return ReplyPart(7, 1, "Halo kak", status, sending_at, None, echo_ids)


def test_a_part_never_handed_over_is_sent_and_a_sent_one_is_skipped():
    assert next_action(part(PartStatus.PENDING), now=T0, echo_wait=WAIT).action is Action.SEND
    assert next_action(part(PartStatus.SENT, sending_at=T0), now=T0, echo_wait=WAIT).action is Action.SKIP


def test_a_handed_over_part_with_an_unknown_outcome_waits_for_its_echo_then_goes_again():
    unknown = part(PartStatus.SENDING, sending_at=T0)

    waiting = next_action(unknown, now=T0 + timedelta(seconds=15), echo_wait=WAIT)
    assert (waiting.action, waiting.wait) == (Action.WAIT, timedelta(seconds=45))
    assert next_action(unknown, now=T0 + WAIT, echo_wait=WAIT).action is Action.SEND


@pytest.mark.parametrize("status", [PartStatus.SENDING, PartStatus.PENDING])
def test_an_echo_proves_the_part_went_out_whatever_the_gateway_answered(status):
    echoed = part(status, sending_at=T0, echo_ids=("3EB0AA",))

    assert next_action(echoed, now=T0 + timedelta(seconds=1), echo_wait=WAIT).action is Action.RECORD_ECHO
    assert next_action(echoed, now=T0 + timedelta(hours=1), echo_wait=WAIT).action is Action.RECORD_ECHO


@pytest.mark.parametrize(
    ("message_id", "key"),
    [
        ("true_6281234567890@c.us_3EB0C127D7BACC83D6A1", "3EB0C127D7BACC83D6A1"),  # WAHA message.any
        ("true_6281234567890@c.us_3EB0C127D7BACC83D6A1_out", "3EB0C127D7BACC83D6A1"),  # newer WEBJS answers
        ("false_120363025246125486@g.us_3EB0AA_6281234567890@c.us", "3EB0AA"),  # a group message
        ("3EB0C127D7BACC83D6A1", "3EB0C127D7BACC83D6A1"),  # GOWA, Evolution
        ("wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjA=", "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEjA="),  # Meta
        ("chatbatch-reply-7", "chatbatch-reply-7"),
    ],
)
def test_message_keys_are_whatsapps_key_inside_any_gateways_id(message_id, key):
    assert message_key(message_id) == key


def test_references_name_a_part_and_nothing_else_parses_as_one():
    assert parse_part_reference(part_reference(123, 2)) == (123, 2)
    assert parse_part_reference("chatbatch:1:x") is None
    assert parse_part_reference("someone-else's-data") is None
    assert parse_part_reference(None) is None


def test_generated_ids_are_stable_per_part_and_keep_the_single_part_form():
    assert generated_message_id(7, 1) == "chatbatch-reply-7"
    assert generated_message_id(7, 3) == "chatbatch-reply-7-3"


def test_a_failed_attempt_comes_back_after_a_short_doubling_backoff():
    assert [retry_delay(n) for n in range(1, 7)] == [10, 20, 40, 80, 120, 120]
