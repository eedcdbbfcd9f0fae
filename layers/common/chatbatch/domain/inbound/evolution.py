"""Evolution API: its webhook events as chatbatch events. Pure.

Every event is ``{"event": "messages.upsert", "instance", "data", "sender", "date_time", "server_url", "apikey"}``
(source: src/api/integrations/event/webhook/webhook.controller.ts). The tenant is ``instance``; ``sender`` is the
instance's own number. "Webhook by events" posts each event to ``<url>/<event-name>`` (``messages-upsert``); the
body names the event all the same, the path is used only when it does not.

- ``messages.upsert``: a message (``data.key`` + the Baileys ``data.message``; own ones have ``key.fromMe``),
  a reaction or a revoke; ``send.message``: a message sent through Evolution's API (the bot's reply).
- ``messages.update``: a delivery receipt, ``data.status`` one of SERVER_ACK, DELIVERY_ACK, READ, PLAYED, ERROR.
- ``messages.delete``: a message deleted for everyone (``data`` is its key, or a stored message with ``key``).
"""

from __future__ import annotations

import re
from typing import Any

from chatbatch.domain import jids
from chatbatch.domain.delivery import DeliveryStatus
from chatbatch.domain.inbound import baileys, events
from chatbatch.domain.inbound.events import body_object, dig, optional_time, require_address, require_id, text
from chatbatch.domain.messages import gateway_message

# messages.update ``status``: a name (v2) or the proto's number (Baileys' WAMessageStatus).
_STATUSES = {
    "SERVER_ACK": DeliveryStatus.SENT,
    "DELIVERY_ACK": DeliveryStatus.DELIVERED,
    "READ": DeliveryStatus.READ,
    "PLAYED": DeliveryStatus.READ,
    "ERROR": DeliveryStatus.FAILED,
}
_STATUS_NUMBERS = {0: "ERROR", 1: "PENDING", 2: "SERVER_ACK", 3: "DELIVERY_ACK", 4: "READ", 5: "PLAYED"}


def event_key(name: str) -> str:
    """One spelling for an event name: ``messages.upsert``, ``MESSAGES_UPSERT`` and ``messages-upsert`` alike."""
    return re.sub(r"[._-]", "-", name.strip().lower())


def parse(document: Any, *, path_event: str | None = None) -> list[events.GatewayEvent]:
    doc = body_object(document)
    event = doc.get("event") if doc.get("event") is not None else path_event
    event = require_id(event, "event")
    key = event_key(event)
    data = doc.get("data")
    items = data if isinstance(data, list) else [data]
    if not items:
        return [events.Ignored(event, "no data")]
    if key in ("messages-upsert", "send-message"):
        return [_upsert(doc, item, event, i if isinstance(data, list) else None) for i, item in enumerate(items)]
    if key == "messages-update":
        return [_receipt(doc, item) for item in items]
    if key == "messages-delete":
        return [_revocation(doc, item) for item in items]
    return [events.Ignored(event, "not a message, receipt or deletion")]


def _upsert(doc: dict, item: Any, event: str, index: int | None) -> events.GatewayEvent:
    where = "data" if index is None else f"data[{index}]"
    item = item if isinstance(item, dict) else {}
    k = item.get("key") if isinstance(item.get("key"), dict) else {}
    from_me = k.get("fromMe") is True
    chat = k.get("remoteJid")
    if isinstance(chat, str) and not jids.is_conversation(chat):
        return events.Ignored(event, "a status update, broadcast or channel post: not a conversation")
    content = baileys.read(item.get("message"))
    if content.kind == "reaction":
        return _reaction(doc, k, content, item, where)
    if content.kind == "revoke":
        return events.Revocation(
            tenant=require_id(doc.get("instance"), "instance"),
            message_ids=(require_id(content.target_id, f"{where}.message.protocolMessage.key.id"),),
        )
    if content.kind != "message":
        return events.Ignored(event, f"not a message to keep ({content.message_type})")
    own = doc.get("sender")
    group = isinstance(chat, str) and jids.is_group(chat)
    return gateway_message(
        source={
            "tenant": "instance",
            "message_id": f"{where}.key.id",
            "from_jid": "sender" if from_me else f"{where}.key.remoteJid",
            "to_jid": f"{where}.key.remoteJid" if from_me else "sender",
            "chat_jid": f"{where}.key.remoteJid",
            "participant": f"{where}.key.participant",
            "body": f"{where}.message",
            "timestamp": f"{where}.messageTimestamp",
        },
        tenant=doc.get("instance"),
        message_id=k.get("id"),
        from_jid=own if from_me else chat,
        to_jid=chat if from_me else text(own),
        chat_jid=chat,
        participant=k.get("participant") if group and not from_me else None,
        body=content.text,
        push_name=text(item.get("pushName")),
        timestamp=item.get("messageTimestamp"),
        message_type=content.message_type,
        from_me=from_me,
        reply_to_message_id=text(dig(item, "contextInfo", "stanzaId")) or content.quoted_id,
    )


def _reaction(doc: dict, k: dict, content: baileys.Content, item: dict, where: str) -> events.GatewayEvent:
    from_me = k.get("fromMe") is True
    chat = require_address(k.get("remoteJid"), f"{where}.key.remoteJid")
    sender = doc.get("sender") if from_me else (k.get("participant") or chat)
    return events.Reaction(
        tenant=require_id(doc.get("instance"), "instance"),
        chat_jid=chat,
        message_id=require_id(content.target_id, f"{where}.message.reactionMessage.key.id"),
        sender_jid=require_address(sender, "sender" if from_me else f"{where}.key.participant"),
        emoji=content.emoji,
        reacted_at=optional_time(item.get("messageTimestamp"), f"{where}.messageTimestamp"),
        from_me=from_me,
    )


def _receipt(doc: dict, item: Any) -> events.GatewayEvent:
    item = item if isinstance(item, dict) else {}
    status = item.get("status") if "status" in item else dig(item, "update", "status")  # v2, or Baileys' own
    status = _STATUS_NUMBERS.get(status, status) if isinstance(status, int) else status
    if status not in _STATUSES:
        return events.Ignored("messages.update", f"status {status} moves no delivery status")
    message_id = item.get("keyId") if item.get("keyId") is not None else dig(item, "key", "id")
    return events.Receipt(
        tenant=require_id(doc.get("instance"), "instance"),
        message_ids=(require_id(message_id, "data.keyId"),),
        status=_STATUSES[status],
    )


def _revocation(doc: dict, item: Any) -> events.GatewayEvent:
    key = dig(item, "key") if isinstance(dig(item, "key"), dict) else item  # a stored message, or its key
    return events.Revocation(
        tenant=require_id(doc.get("instance"), "instance"),
        message_ids=(require_id(dig(key, "id"), "data.id" if key is item else "data.key.id"),),
    )
