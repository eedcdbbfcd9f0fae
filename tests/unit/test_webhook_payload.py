"""The webhook payload rules, without a database."""

from datetime import UTC, datetime

import pytest
from chatbatch.domain.messages import parse_timestamp, parse_webhook
from chatbatch.errors import InvalidFields

BASE = {
    "session_token": "s1",
    "message_id": "m1",
    "from": "6281234567890@s.whatsapp.net",
    "to": "6280000000000@s.whatsapp.net",
    "body": "Halo",
}


def test_snake_case_incoming_message_belongs_to_the_senders_chat():
    msg = parse_webhook({**BASE, "push_name": "Budi"})
    assert msg.chat_jid == "6281234567890@s.whatsapp.net"
    assert msg.chat_id == "s1_6281234567890@s.whatsapp.net"
    assert msg.sender_type == "contact" and msg.contact_name == "Budi"
    assert msg.message_type == "text" and not msg.is_group and not msg.from_me
    assert msg.needs_reply(reply_groups=False)


def test_camel_case_from_me_message_belongs_to_the_recipients_chat():
    msg = parse_webhook(
        {
            "sessionToken": "s1",
            "messageId": "m2",
            "from": "628000@s.whatsapp.net",
            "to": "628123@s.whatsapp.net",
            "body": "ok",
            "fromMe": True,
            "pushName": "Toko",
        }
    )
    assert msg.chat_jid == "628123@s.whatsapp.net"
    assert msg.sender_type == "user"
    assert msg.contact_name is None  # the business side's name never names the chat
    assert not msg.needs_reply(reply_groups=True)


def test_id_is_an_alias_of_message_id():
    assert (
        parse_webhook({**{k: v for k, v in BASE.items() if k != "message_id"}, "id": "wamid.X"}).message_id == "wamid.X"
    )


def test_group_is_derived_from_the_jid_and_the_participant_is_the_sender():
    msg = parse_webhook({**BASE, "from": "1203630@g.us", "participant": "628777@s.whatsapp.net"})
    assert msg.is_group and msg.sender_jid == "628777@s.whatsapp.net"
    assert not msg.needs_reply(reply_groups=False) and msg.needs_reply(reply_groups=True)


@pytest.mark.parametrize(
    "value, expected",
    [
        (1795694400, datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        (1795694400123, datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC)),
        ("1795694400", datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        (1795694400.5, datetime(2026, 11, 26, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-26T12:00:00Z", datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        ("2026-11-26T19:00:00+07:00", datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        ("2026-11-26T12:00:00", datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
    ],
)
def test_timestamps_in_seconds_milliseconds_or_iso(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        1230768000,  # 2009-01-01: the first second
        4102444799.999,  # the last moment of 2099
        4102444799999,  # in milliseconds
        "2099-12-31T23:30:00-01:00",  # written in 2099 (2100 in UTC): the written year counts, as declared
        "2009-01-01T00:30:00+01:00",
    ],
)
def test_the_plausible_bounds_are_exactly_the_declared_ones(value):
    assert parse_timestamp(value)


@pytest.mark.parametrize(
    "value",
    [1230767999.999, 4102444800, 4102444800000, 1230767999999, 99_999_999_999, "2100-01-01T00:00:00Z", "2008-12-31"],
)
def test_a_time_just_outside_the_bounds_is_rejected(value):
    with pytest.raises(ValueError, match=r"outside the plausible years 2009\.\.2099"):
        parse_timestamp(value)


@pytest.mark.parametrize("value", [True, "yesterday", float("nan"), 10**30, -5, "1e400", [1]])
def test_implausible_timestamps_are_rejected(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"session_token": None}, "session_token"),
        ({"from": ""}, "from"),
        ({"to": 5}, "to"),
        ({"body": "x" * 65_537}, "body"),
        ({"body": "a\x00b"}, "body"),
        ({"body": "\ud800"}, "body"),
        ({"timestamp": "soon"}, "timestamp"),
        ({"from_me": "yes"}, "from_me"),
        ({"type": "<script>"}, "type"),
        ({"message_id": " m1 "}, "message_id"),
    ],
)
def test_invalid_fields_are_named(change, field):
    payload = {**BASE, **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    with pytest.raises(InvalidFields) as caught:
        parse_webhook(payload)
    assert field in [d["field"] for d in caught.value.details], caught.value.details
    assert field in caught.value.message


def test_every_missing_required_field_is_named_at_once():
    with pytest.raises(InvalidFields) as caught:
        parse_webhook({"body": "Halo"})
    assert {d["field"] for d in caught.value.details} == {"session_token", "message_id", "from", "to"}


def test_a_body_of_the_whatsapp_maximum_is_accepted():
    assert len(parse_webhook({**BASE, "body": "é" * 65_536}).body) == 65_536


def test_is_group_true_on_a_personal_jid_is_contradictory():
    with pytest.raises(InvalidFields, match="is_group"):
        parse_webhook({**BASE, "is_group": True})


def test_a_json_array_is_not_a_message():
    with pytest.raises(InvalidFields, match="JSON object"):
        parse_webhook([BASE])
