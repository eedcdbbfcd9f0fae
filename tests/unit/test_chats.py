"""A chat is one tenant's conversation with one WhatsApp address: its room key and its kind are decided in one
place (domain/chats.py), never rebuilt or re-tested elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import chatbatch
import pytest
from chatbatch.domain.chats import Chat
from chatbatch.domain.messages import parse_webhook

PACKAGE = Path(chatbatch.__file__).parent
# endswith("@g.us"), a group suffix constant, or f"{session_tok}_{jid}" / f"{tenant}_{...}"
ROOM_KEY_OR_GROUP_TEST = re.compile(
    r"""endswith\(\s*["']@g\.us|GROUP_SUFFIX|f["']\{[\w.]*(session_tok|tenant)[\w.]*\}_\{"""
)


def test_the_room_key_is_the_tenant_and_the_address():
    assert Chat("toko-a", "6281234567890@s.whatsapp.net").room_key == "toko-a_6281234567890@s.whatsapp.net"


def test_one_address_in_two_tenants_is_two_chats():
    a, b = Chat("toko-a", "6281234567890@s.whatsapp.net"), Chat("toko-b", "6281234567890@s.whatsapp.net")
    assert a != b and a.room_key != b.room_key


def test_the_same_number_under_two_servers_is_two_chats_as_it_is_two_addresses():
    # WAHA's WEBJS engine writes @c.us; a reply goes back to the address the message came from
    assert Chat("t", "6281234567890@c.us").room_key != Chat("t", "6281234567890@s.whatsapp.net").room_key


@pytest.mark.parametrize(
    ("jid", "group"),
    [("120363025246125486@g.us", True), ("6281234-1600000000@g.us", True), ("6281234567890@s.whatsapp.net", False)],
)
def test_a_group_is_told_by_its_address(jid, group):
    assert Chat("t", jid).is_group is group


def test_a_webhook_message_names_its_chat():
    msg = parse_webhook(
        {"session_token": "t", "message_id": "m1", "from": "6281234567890@s.whatsapp.net", "to": "62800@s.whatsapp.net"}
    )
    assert msg.chat == Chat("t", "6281234567890@s.whatsapp.net")
    assert msg.chat_id == msg.chat.room_key


def test_no_module_builds_a_room_key_or_tests_the_group_suffix_itself():
    offenders = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name not in {"chats.py", "jids.py"} and ROOM_KEY_OR_GROUP_TEST.search(path.read_text())
    }
    assert offenders == set()
