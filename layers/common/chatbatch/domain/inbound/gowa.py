"""go-whatsapp-web-multidevice (GOWA): its webhook events as chatbatch events. Pure.

Every event is ``{"event", "device_id", "session_id"?, "payload"}`` (its webhook-payload.md in docs; the source builds
it in src/infrastructure/whatsapp/event_message.go and webhook_forward.go). ``device_id`` is the JID of the
business number that received the event; ``session_id``, in newer versions, the id the device was registered under
(``POST /devices``, the ``X-Device-Id`` of GOWA's API) when GOWA can map it. The tenant is, in this order: the
session named in the webhook URL (``/webhook/gowa/{session}``), ``session_id``, ``device_id``.

``message`` brings every message, the business's own ones with ``is_from_me``. The chat is ``payload.chat_id``
(LID chats already turned into phone JIDs by GOWA), which for a customer's 1:1 message is its sender ``from``:
that is taken (the docs' samples show the device's own JID in ``chat_id``; in the source it is the chat, the
sender). ``message.ack`` brings receipts (``payload.ids``), then ``message.reaction``, ``message.revoked``
(deleted for everyone) and ``message.deleted`` (deleted on the business's phone).
"""

from __future__ import annotations

from typing import Any

from chatbatch.domain import jids
from chatbatch.domain.delivery import DeliveryStatus
from chatbatch.domain.inbound import events
from chatbatch.domain.inbound.baileys import location_of
from chatbatch.domain.inbound.content import contacts_text, joined, vcard_name
from chatbatch.domain.inbound.events import body_object, dig, optional_time, require_address, require_id, text
from chatbatch.domain.messages import gateway_message

# ``receipt_type`` (whatsmeow's): the others (read-self, played-self, sender, retry, …) concern our own devices.
_RECEIPTS = {
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "played": DeliveryStatus.READ,
    "server-error": DeliveryStatus.FAILED,
}
# Payload keys of a message's content, in the order GOWA fills them (a caption lives in ``body`` too).
_MEDIA = (
    ("image", "image"),
    ("video", "video"),
    ("video_note", "video"),
    ("audio", "audio"),
    ("document", "document"),
    ("sticker", "sticker"),
)


def parse(document: Any, *, session: str | None = None) -> list[events.GatewayEvent]:
    doc = body_object(document)
    event = require_id(doc.get("event"), "event")
    tenant_field = "(path) session" if session else ("session_id" if doc.get("session_id") else "device_id")
    tenant = session or doc.get("session_id") or doc.get("device_id")
    p = doc.get("payload") if isinstance(doc.get("payload"), dict) else {}
    if event == "message":
        return [_message(doc, p, tenant, tenant_field)]
    if event == "message.ack":
        return [_receipt(p, tenant, tenant_field)]
    if event == "message.reaction":
        return [_reaction(p, tenant, tenant_field)]
    if event in ("message.revoked", "message.deleted"):
        target = "revoked_message_id" if event == "message.revoked" else "deleted_message_id"
        return [
            events.Revocation(
                tenant=require_id(tenant, tenant_field),
                message_ids=(require_id(p.get(target), f"payload.{target}"),),
            )
        ]
    return [events.Ignored(event, "not a message, receipt, reaction or deletion")]


def _message(doc: dict, p: dict, tenant: Any, tenant_field: str) -> events.GatewayEvent:
    from_me = p.get("is_from_me") is True
    chat, chat_field = _chat(p)
    if isinstance(chat, str) and not jids.is_conversation(chat):
        return events.Ignored("message", "a status update, broadcast or channel post: not a conversation")
    message_type, body = _content(p)
    group = isinstance(chat, str) and jids.is_group(chat)
    return gateway_message(
        source={
            "tenant": tenant_field,
            "message_id": "payload.id",
            "from_jid": "payload.from",
            "to_jid": "payload.chat_id" if from_me else "device_id",
            "chat_jid": chat_field,
            "participant": "payload.from",
            "body": "payload.body",
            "timestamp": "payload.timestamp",
        },
        tenant=tenant,
        message_id=p.get("id"),
        from_jid=p.get("from"),
        to_jid=chat if from_me else text(doc.get("device_id")),
        chat_jid=chat,
        participant=p.get("from") if group and not from_me else None,
        body=body,
        push_name=text(p.get("from_name")),
        timestamp=p.get("timestamp"),
        message_type=message_type,
        from_me=from_me,
        reply_to_message_id=text(p.get("replied_to_id")),
    )


def _chat(p: dict) -> tuple[Any, str]:
    """The chat's JID and its field: ``chat_id``, but the sender for a customer's own 1:1 message."""
    chat = p.get("chat_id")
    if p.get("is_from_me") is True or (isinstance(chat, str) and jids.is_group(chat)):
        return chat, "payload.chat_id"
    return p.get("from"), "payload.from"


def _content(p: dict) -> tuple[str, str]:
    body = text(p.get("body")) or ""
    for key, message_type in _MEDIA:
        if key in p:
            media = p[key] if isinstance(p[key], dict) else {}
            caption = body or text(media.get("caption"))
            if message_type == "document" and not caption:
                caption = text(media.get("filename"))
            return message_type, caption or ""
    if "contact" in p or "contacts_array" in p:
        cards = p.get("contacts_array") if isinstance(p.get("contacts_array"), list) else [p.get("contact")]
        return "contact", contacts_text(text(dig(c, "displayName")) or vcard_name(dig(c, "vcard")) for c in cards)
    for key in ("location", "live_location"):
        if isinstance(p.get(key), dict):
            return "location", location_of(p[key])
    if "interactive" in p or "list" in p:
        return "interactive", joined(body, p.get("interactive") if isinstance(p.get("interactive"), str) else None)
    if "order" in p:
        return "order", body
    return "text", body


def _receipt(p: dict, tenant: Any, tenant_field: str) -> events.GatewayEvent:
    status = _RECEIPTS.get(p.get("receipt_type"))
    if status is None:
        return events.Ignored("message.ack", f"receipt {p.get('receipt_type')} moves no delivery status")
    ids = p.get("ids") if isinstance(p.get("ids"), list) and p.get("ids") else [None]
    return events.Receipt(
        tenant=require_id(tenant, tenant_field),
        message_ids=tuple(require_id(i, "payload.ids") for i in ids),
        status=status,
        error="the recipient's server reported an error" if status is DeliveryStatus.FAILED else None,
    )


def _reaction(p: dict, tenant: Any, tenant_field: str) -> events.GatewayEvent:
    chat, chat_field = _chat(p)
    return events.Reaction(
        tenant=require_id(tenant, tenant_field),
        chat_jid=require_address(chat, chat_field),
        message_id=require_id(p.get("reacted_message_id"), "payload.reacted_message_id"),
        sender_jid=require_address(p.get("from"), "payload.from"),
        emoji=text(p.get("reaction")) or "",
        reacted_at=optional_time(p.get("timestamp"), "payload.timestamp"),
        from_me=p.get("is_from_me") is True,
    )
