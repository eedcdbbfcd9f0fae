"""The outcome a gateway's webhook must have, and the check of it against the tenant's rows (the tables of
test_fixture_table.py and test_event_samples.py)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support import invoke
from tests.support.foundation import counts
from tests.support.gateways import as_tenant, gateway_request, history, needs_reply, reactions, seed_sent


@dataclass(frozen=True)
class Stored:
    """A history message: the chat's remote JID, its sender, the contact's name, type, text and time (UTC)."""

    message_id: str
    chat: str
    sender: str
    type: str
    text: str
    at: str
    name: str | None = None
    reply_to: str | None = None
    from_me: bool = False  # a human on the business side (sender_type 'user'): no reply, a takeover
    group: bool = False  # saved to history, not answered (AI_REPLY_GROUPS off)


@dataclass(frozen=True)
class StatusChange:
    """Given a message the business sent (status ``before``), the receipt leaves it ``status`` (with ``error``).
    ``stored_as``: the id the history has it under when the gateway's send answer named it in another form than
    its receipt does (WhatsApp's key inside both is the same)."""

    message_id: str
    status: str
    error: str | None = None
    before: str = "sent"
    chat: str = "6281234567890@s.whatsapp.net"
    stored_as: str | None = None

    @property
    def stored_id(self) -> str:
        return self.stored_as or self.message_id


@dataclass(frozen=True)
class Reacted:
    message_id: str  # the message reacted to
    chat: str
    sender: str
    emoji: str
    from_me: bool = False


@dataclass(frozen=True)
class Deleted:
    """Given the message ``message_id`` in the history, the event marks it deleted."""

    message_id: str
    chat: str = "6281234567890@s.whatsapp.net"


@dataclass(frozen=True)
class Ignored:
    event: str


@dataclass(frozen=True)
class Invalid:
    fields: frozenset[str]


Outcome = Stored | StatusChange | Reacted | Deleted | Ignored | Invalid


def given(pg, tenant: str, expect: Outcome) -> None:
    if isinstance(expect, StatusChange):
        seed_sent(pg, tenant, expect.stored_id, chat_jid=expect.chat, status=expect.before)
    elif isinstance(expect, Deleted):
        seed_sent(pg, tenant, expect.message_id, chat_jid=expect.chat)


def post_and_check(api_function, pg, tenant: str, gateway: str, payload: dict, expect: Outcome) -> dict:
    """Post ``payload`` as ``tenant`` the way ``gateway`` does and check it had exactly ``expect``."""
    return check(api_function, pg, tenant, lambda: gateway_request(gateway, as_tenant(payload, tenant)), expect)


def check(api_function, pg, tenant: str, request, expect: Outcome) -> dict:
    """Given what ``expect`` needs, send ``request()`` through the api function's handler; it had exactly ``expect``."""
    given(pg, tenant, expect)
    before = counts(pg, tenant)
    status, body = invoke(api_function, request())

    if isinstance(expect, Invalid):
        assert (status, body["error"]) == (422, "invalid_fields"), body
        assert {d["field"] for d in body["details"]} == set(expect.fields), body
        assert counts(pg, tenant) == before
        return body
    assert status == 200, body
    (result,) = body["results"]
    if isinstance(expect, Stored):
        assert (body["status"], result["event"]) == ("accepted", "message"), body
        assert result["chat_id"] == f"{tenant}_{expect.chat}"
        row = history(pg, tenant, expect.message_id)
        assert row == {
            "chat_id": f"{tenant}_{expect.chat}",
            "sender_jid": expect.sender,
            "sender_type": "user" if expect.from_me else "contact",
            "message_type": expect.type,
            "content": expect.text,
            "at": expect.at,
            "status": "sent" if expect.from_me else "received",
            "status_error": None,
            "reply_to_message_id": expect.reply_to,
            "deleted": False,
            "contact_name": expect.name,
            "unread_count": 0 if expect.from_me else 1,
        }
        assert needs_reply(pg, tenant, expect.message_id) is (not expect.from_me and not expect.group)
    elif isinstance(expect, StatusChange):
        moved = expect.status != expect.before
        assert (body["status"], result["event"]) == ("updated" if moved else "unchanged", "receipt"), body
        row = history(pg, tenant, expect.stored_id)
        assert (row["status"], row["status_error"]) == (expect.status, expect.error)
        assert counts(pg, tenant) == before  # a receipt makes no message, room or job
    elif isinstance(expect, Reacted):
        assert (body["status"], result["event"]) == ("updated", "reaction"), body
        assert reactions(pg, tenant) == [
            (f"{tenant}_{expect.chat}", expect.message_id, expect.sender, expect.from_me, expect.emoji)
        ]
        assert counts(pg, tenant) == before  # no message, no room, no unread, no job
    elif isinstance(expect, Deleted):
        assert (body["status"], result["event"]) == ("updated", "revocation"), body
        assert history(pg, tenant, expect.message_id)["deleted"] is True
        assert counts(pg, tenant) == before
    elif isinstance(expect, Ignored):
        assert body == {"status": "ignored", "results": [result]} and result["event"] == expect.event, body
        assert result["status"] == "ignored" and result["detail"]
        assert counts(pg, tenant) == before
    return body
