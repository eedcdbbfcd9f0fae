"""Human takeover windows and echo recognition: pure rules with explicit clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatbatch.domain.takeover import (
    ECHO_TEXT_WINDOW,
    GROUPS_OFF,
    TAKEN_OVER,
    SentReply,
    echoed_reply,
    reason_to_stay_silent,
    takeover_active,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_the_bot_is_silent_until_the_human_has_been_quiet_for_the_window():
    assert takeover_active(T0, T0 + timedelta(minutes=29, seconds=59), minutes=30)
    assert not takeover_active(T0, T0 + timedelta(minutes=30), minutes=30)
    assert not takeover_active(None, T0, minutes=30)  # no human ever wrote
    assert not takeover_active(T0, T0, minutes=0)  # takeover switched off


def test_an_echo_is_recognised_by_the_sent_message_id_however_late():
    reply = SentReply(text="Halo kak", message_id="3EB0AB", sending_at=T0)

    assert echoed_reply("3EB0AB", "whatever the gateway says", T0 + timedelta(hours=3), [reply])


def test_an_echo_is_recognised_by_identical_text_only_moments_after_the_send():
    reply = SentReply(text="Halo kak", message_id=None, sending_at=T0)

    assert echoed_reply("other-id", "Halo kak", T0 + timedelta(seconds=3), [reply])
    assert not echoed_reply("other-id", "Halo kak", T0 + ECHO_TEXT_WINDOW + timedelta(seconds=1), [reply])
    assert not echoed_reply("other-id", "Halo kak!", T0 + timedelta(seconds=3), [reply])
    assert not echoed_reply("other-id", "Halo kak", T0 - timedelta(seconds=1), [reply])  # before the send


def test_a_human_message_in_a_chat_where_the_bot_sent_nothing_is_no_echo():
    assert not echoed_reply("id", "Halo kak", T0, [])


def test_groups_stay_silent_unless_switched_on_and_a_takeover_silences_any_chat():
    facts = dict(human_active_at=None, now=T0, takeover_minutes=30)

    assert reason_to_stay_silent(is_group=True, reply_groups=False, **facts) == GROUPS_OFF
    assert reason_to_stay_silent(is_group=True, reply_groups=True, **facts) is None
    assert reason_to_stay_silent(is_group=False, reply_groups=False, **facts) is None
    assert (
        reason_to_stay_silent(
            is_group=False, reply_groups=False, human_active_at=T0 - timedelta(minutes=5), now=T0, takeover_minutes=30
        )
        == TAKEN_OVER
    )


def test_a_reply_is_echoed_once_so_a_human_repeating_its_words_later_is_a_human():
    reply = SentReply(text="Baik kak", message_id="3EB0AB", sending_at=T0, job_id=7)
    taken = SentReply(text="Baik kak", message_id="3EB0AB", sending_at=T0, job_id=7, echo_ids=("3EB0CD",))

    assert echoed_reply("3EB0CD", "Baik kak", T0 + timedelta(seconds=2), [reply]) == reply  # the echo (other id)
    assert echoed_reply("3EB0EF", "Baik kak", T0 + timedelta(seconds=30), [taken]) is None  # a human, later
    assert echoed_reply("3EB0AB", "Baik kak", T0 + timedelta(seconds=30), [taken]) == taken  # the id still counts


def test_a_part_handed_over_twice_absorbs_two_echoes_by_text_and_no_third():
    twice = SentReply(text="Baik kak", message_id=None, sending_at=T0, handovers=2, echo_ids=("3EB0A1",))
    both = SentReply(text="Baik kak", message_id=None, sending_at=T0, handovers=2, echo_ids=("3EB0A1", "3EB0A2"))

    assert echoed_reply("3EB0A2", "Baik kak", T0 + timedelta(seconds=5), [twice]) == twice
    assert echoed_reply("3EB0A3", "Baik kak", T0 + timedelta(seconds=5), [both]) is None


def test_ids_are_compared_by_whatsapps_message_key_whatever_form_the_gateway_gives():
    # WAHA's answer may name the id with an _out suffix, its message.any echo without; NOWEB keys are bare
    reply = SentReply(text="x", message_id="true_6281@c.us_3EB0AA_out", sending_at=T0)

    assert echoed_reply("true_6281@c.us_3EB0AA", "other text", T0 + timedelta(hours=1), [reply]) == reply
    assert echoed_reply("3EB0AA", "other text", T0 + timedelta(hours=1), [reply]) == reply
    assert echoed_reply("true_6281@c.us_3EB0BB", "other text", T0 + timedelta(seconds=1), [reply]) is None
