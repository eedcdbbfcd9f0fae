"""The WhatsApp Cloud API (Meta): a webhook delivery as chatbatch events. Pure.

A delivery is ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value"}]}]}``
and may batch several entries, changes, messages and statuses: each becomes its own event, and an invalid one
becomes a ``Rejected`` event without costing the others (Meta retries a delivery for days unless it gets a 200).

In a ``messages`` change's ``value``: the tenant is ``metadata.phone_number_id`` (the business number's id),
``metadata.display_phone_number`` the business number; ``messages[]`` are the customers' messages and reactions,
``statuses[]`` the receipts of what the business sent (``failed`` with ``errors[].title``; with the
``biz_opaque_callback_data`` the send carried, which names the reply part), ``contacts[]`` the senders' profile
names. The Cloud API never echoes the business's own messages (only their statuses).

Business-scoped user ids (BSUIDs, since April 2026): a user may hide their number behind a username; then
``messages[].from`` and ``contacts[].wa_id`` are absent and ``messages[].from_user_id`` / ``contacts[].user_id``
(``US.13491208655302741918``) name them. The chat is keyed by the phone number when there is one, else by the BSUID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatbatch.domain.delivery import DeliveryStatus
from chatbatch.domain.inbound import events
from chatbatch.domain.inbound.content import contacts_text, joined, location_text
from chatbatch.domain.inbound.events import body_object, dig, optional_time, require_address, require_id, text
from chatbatch.domain.jids import is_address
from chatbatch.domain.messages import gateway_message
from chatbatch.errors import InvalidFields

_STATUSES = {s.value: s for s in DeliveryStatus}
_MEDIA = ("image", "video", "audio", "document", "sticker")
# Message types that carry nothing a person wrote: a notice that a number changed, a first "hello" the app sends
# by itself, a message type the Cloud API cannot show (it says so in ``errors``).
_NOTICES = ("system", "request_welcome", "unsupported", "unknown", "ephemeral")


def parse(document: Any) -> list[events.GatewayEvent]:
    doc = body_object(document)
    if doc.get("object") != "whatsapp_business_account":
        return [events.Ignored(str(doc.get("object")), "not a WhatsApp Business Account delivery")]
    found: list[events.GatewayEvent] = []
    for e, entry in enumerate(doc.get("entry") if isinstance(doc.get("entry"), list) else []):
        for c, change in enumerate(dig(entry, "changes") if isinstance(dig(entry, "changes"), list) else []):
            found += _change(change, f"entry[{e}].changes[{c}].value")
    return found or [events.Ignored("(empty)", "the delivery has no changes")]


def _change(change: Any, where: str) -> list[events.GatewayEvent]:
    field = dig(change, "field")
    value = dig(change, "value")
    if field != "messages" or not isinstance(value, dict):
        return [events.Ignored(str(field), "not a messages change")]
    messages = value.get("messages") if isinstance(value.get("messages"), list) else []
    statuses = value.get("statuses") if isinstance(value.get("statuses"), list) else []
    if not messages and not statuses:
        return [events.Ignored("messages", "a change without messages or statuses")]
    try:
        change_of = _Change(
            tenant=require_id(dig(value, "metadata", "phone_number_id"), "metadata.phone_number_id"),
            business=text(dig(value, "metadata", "display_phone_number")),
            contacts=[c for c in value.get("contacts") or [] if isinstance(c, dict)]
            if isinstance(value.get("contacts"), list)
            else [],
        )
    except InvalidFields as exc:
        return [_rejected("messages", where, exc)]
    return [_item("message", f"{where}.messages[{i}]", _message, change_of, m) for i, m in enumerate(messages)] + [
        _item("receipt", f"{where}.statuses[{i}]", _status, change_of, s) for i, s in enumerate(statuses)
    ]


@dataclass(frozen=True)
class _Change:
    tenant: str  # metadata.phone_number_id
    business: str | None  # metadata.display_phone_number
    contacts: list[dict]


def _item(event_type: str, where: str, read, change: _Change, raw: Any) -> events.GatewayEvent:
    """One message or status: its invalid fields make it ``Rejected``, naming where they are in the delivery."""
    try:
        return read(change, raw if isinstance(raw, dict) else {})
    except InvalidFields as exc:
        return _rejected(event_type, where, exc)


def _rejected(event_type: str, where: str, exc: InvalidFields) -> events.Rejected:
    details = [{**d, "field": f"{where}.{d['field']}"} for d in exc.details]
    summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details)
    return events.Rejected(event_type, InvalidFields(f"invalid webhook event: {summary}", details=details))


def _message(change: _Change, m: dict) -> events.GatewayEvent:
    message_type = text(m.get("type")) or "unknown"
    if message_type in _NOTICES:
        return events.Ignored(f"message {message_type}", "a notice, not a message somebody wrote")
    if m.get("group_id") is not None:
        return events.Ignored("group message", "Cloud API group chats are not supported yet")
    sender = text(m.get("from")) or text(m.get("from_user_id"))
    sender_field = "from" if text(m.get("from")) else "from_user_id"
    if message_type == "reaction":
        return events.Reaction(
            tenant=change.tenant,
            chat_jid=require_address(sender, sender_field),
            message_id=require_id(dig(m, "reaction", "message_id"), "reaction.message_id"),
            sender_jid=require_address(sender, sender_field),
            emoji=text(dig(m, "reaction", "emoji")) or "",  # absent or empty: the reaction was removed
            reacted_at=optional_time(m.get("timestamp"), "timestamp"),
            from_me=False,
        )
    message_type, body = _content(m, message_type)
    return gateway_message(
        source={
            "tenant": "metadata.phone_number_id",
            "message_id": "id",
            "from_jid": sender_field,
            "chat_jid": sender_field,
            "body": message_type,
            "timestamp": "timestamp",
        },
        tenant=change.tenant,
        message_id=m.get("id"),
        from_jid=sender,
        to_jid=change.business if change.business and is_address(change.business) else None,
        chat_jid=sender,
        body=body,
        push_name=_profile_name(change.contacts, m),
        timestamp=m.get("timestamp"),
        message_type=message_type,
        from_me=False,
        reply_to_message_id=text(dig(m, "context", "id")),
    )


def _content(m: dict, message_type: str) -> tuple[str, str]:
    part = m.get(message_type) if isinstance(m.get(message_type), dict) else {}
    if message_type == "text":
        return "text", text(part.get("body")) or ""
    if message_type in _MEDIA:
        if message_type == "audio" and part.get("voice") is True:
            return "voice", ""
        caption = text(part.get("caption")) or (text(part.get("filename")) if message_type == "document" else None)
        return message_type, caption or ""
    if message_type == "location":
        return "location", location_text(
            part.get("latitude"), part.get("longitude"), part.get("name"), part.get("address")
        )
    if message_type == "contacts":
        cards = m.get("contacts") if isinstance(m.get("contacts"), list) else []
        return "contact", contacts_text(dig(card, "name", "formatted_name") for card in cards)
    if message_type == "interactive":
        reply = (
            part.get(text(part.get("type")) or "") if isinstance(part.get(text(part.get("type")) or ""), dict) else {}
        )
        return "interactive", joined(reply.get("title"), reply.get("description"))
    if message_type == "button":
        return "button", text(part.get("text")) or ""
    if message_type == "order":
        return "order", text(part.get("text")) or ""
    return message_type, ""


def _profile_name(contacts: list[dict], m: dict) -> str | None:
    """The sender's profile name from ``contacts[]``: the one with their number or BSUID, else the only one."""
    keys = {k for k in (text(m.get("from")), text(m.get("from_user_id"))) if k}
    match = [c for c in contacts if {text(c.get("wa_id")), text(c.get("user_id"))} & keys]
    chosen = match or (contacts if len(contacts) == 1 else [])
    return text(dig(chosen[0], "profile", "name")) if chosen else None


def _status(change: _Change, s: dict) -> events.GatewayEvent:
    status = _STATUSES.get(s.get("status"))
    if status is None:
        return events.Ignored(f"status {s.get('status')}", "moves no delivery status")
    error = None
    if status is DeliveryStatus.FAILED:
        first = dig(s, "errors", 0)
        error = text(dig(first, "title")) or text(dig(first, "message")) or "failed (no reason given)"
    return events.Receipt(
        tenant=change.tenant,
        message_ids=(require_id(s.get("id"), "id"),),
        status=status,
        error=error,
        reference=text(s.get("biz_opaque_callback_data")),
    )
