"""What counts as a WhatsApp address (a chat's or a sender's), on every webhook route."""

import pytest
from chatbatch.domain import jids


@pytest.mark.parametrize(
    "address",
    [
        "6281234567890@s.whatsapp.net",  # a phone number's JID
        "6281234567890:12@s.whatsapp.net",  # one of its devices
        "11111111111@c.us",  # the same, as WAHA's WEBJS engine writes it
        "999@c.us",
        "251556368777322@lid",  # a hidden user id
        "9999@lid",
        "123456789@hosted",
        "120363025246125486@g.us",  # a group
        "6281234567890-1596201234@g.us",  # an old group: creator and creation time
        "status@broadcast",
        "6281234567890@broadcast",
        "120363123456789@newsletter",
        "6281234567890",  # the Cloud API: E.164 digits, no +
        "16505551234",
        "US.13491208655302741918",  # a business-scoped user id
        "US.ENT.11815799212886844830",  # a parent one
        "ID.1384592201775530",
    ],
)
def test_whatsapp_addresses(address):
    assert jids.is_address(address)
    assert jids.address_problem(address) is None


@pytest.mark.parametrize(
    "value",
    [
        "not-a-jid",
        "Budi",
        "budi@example.com",
        "@s.whatsapp.net",
        "6281234567890@",
        "6281234567890@s.whatsapp.com",
        "628123abc@s.whatsapp.net",
        "x_6281@s.whatsapp.net",
        "6281234567890@S.WHATSAPP.NET",
        "+6281234567890",  # the Cloud API sends numbers without the +
        "1234",  # too short for a phone number
        "1234567890123456",  # longer than E.164 allows
        "us.13491208655302741918",
        "US.",
        "US.1349_1208",
        "6281234567890@s.whatsapp.net ",
        "",
    ],
)
def test_anything_else_is_not_one_and_the_problem_says_what_is_expected(value):
    assert not jids.is_address(value)
    problem = jids.address_problem(value)
    assert problem and "is not" in problem


def test_an_underscore_is_named_because_it_would_mix_two_tenants_room_keys():
    assert "'_'" in jids.address_problem("x_6281@s.whatsapp.net")


@pytest.mark.parametrize(
    "jid, group, conversation",
    [
        ("120363025246125486@g.us", True, True),
        ("6281234567890@s.whatsapp.net", False, True),
        ("6281234567890", False, True),
        ("status@broadcast", False, False),
        ("6281234567890@broadcast", False, False),
        ("120363123456789@newsletter", False, False),
    ],
)
def test_groups_and_chats_that_are_no_conversation(jid, group, conversation):
    assert (jids.is_group(jid), jids.is_conversation(jid)) == (group, conversation)
