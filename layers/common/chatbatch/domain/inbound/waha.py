"""WAHA (WhatsApp HTTP API): its webhook events as chatbatch events. Pure.

Every event is ``{"event", "session", "me": {"id", "pushName"}, "payload": {...}}`` (docs: how-to/events). The
tenant is ``session``. ``message`` brings the customers' messages, ``message.any`` also the session's own (a human
on the phone, or the echo of a reply sent through WAHA's API); ``message.ack`` receipts, ``message.reaction``
reactions, ``message.revoked`` deletions. The content is read from the fields every engine fills
(``body``, ``hasMedia``/``media``, ``location``, ``vCards``, ``replyTo``) and refined by the engine's own
``_data``: WEBJS ``_data.type``, NOWEB ``_data.message`` (Baileys), GOWS ``_data.Info``.
"""

from __future__ import annotations

from typing import Any

from chatbatch.domain import jids
from chatbatch.domain.delivery import DeliveryStatus
from chatbatch.domain.inbound import baileys, events
from chatbatch.domain.inbound.content import contacts_text, location_text, media_type, vcard_name
from chatbatch.domain.inbound.events import body_object, dig, optional_time, require_address, require_id, text
from chatbatch.domain.messages import gateway_message

MESSAGE_EVENTS = ("message", "message.any")

# message.ack: ``ack`` (-1 ERROR, 0 PENDING, 1 SERVER, 2 DEVICE, 3 READ, 4 PLAYED), ``ackName`` the same in words.
_ACKS = {
    -1: DeliveryStatus.FAILED,
    1: DeliveryStatus.SENT,
    2: DeliveryStatus.DELIVERED,
    3: DeliveryStatus.READ,
    4: DeliveryStatus.READ,
}
_ACK_NAMES = {"ERROR": -1, "PENDING": 0, "SERVER": 1, "DEVICE": 2, "READ": 3, "PLAYED": 4}

# WEBJS ``_data.type``: content types, and the notices WhatsApp Web keeps as "messages" that nobody wrote.
_WEBJS_TYPES = {
    "chat": "text",
    "image": "image",
    "video": "video",
    "ptv": "video",
    "audio": "audio",
    "ptt": "voice",
    "document": "document",
    "sticker": "sticker",
    "location": "location",
    "vcard": "contact",
    "multi_vcard": "contact",
    "poll_creation": "poll",
}
_WEBJS_NOTICES = {
    "e2e_notification",
    "notification",
    "notification_template",
    "gp2",
    "call_log",
    "protocol",
    "revoked",
    "ciphertext",
    "broadcast_notification",
    "pinned_message",
}
# GOWS ``_data.Info.MediaType``.
_GOWS_MEDIA = {"ptt": "voice", "vcard": "contact", "contact_array": "contact", "livelocation": "location"}


def parse(document: Any) -> list[events.GatewayEvent]:
    doc = body_object(document)
    event = require_id(doc.get("event"), "event")
    if event in MESSAGE_EVENTS:
        return [_message(doc, event)]
    if event == "message.ack":
        return [_receipt(doc)]
    if event == "message.reaction":
        return [_reaction(doc)]
    if event == "message.revoked":
        return [_revocation(doc)]
    return [events.Ignored(event, "not a message, receipt, reaction or deletion")]


def _message(doc: dict, event: str) -> events.GatewayEvent:
    p = doc.get("payload") if isinstance(doc.get("payload"), dict) else {}
    if not p:  # WAHA never sends one; its docs' skeletons do. A 4xx would make WAHA retry it (its "retries").
        return events.Ignored(event, "the payload is empty: no message")
    from_me = p.get("fromMe") is True
    chat = p.get("to") if from_me else p.get("from")
    if isinstance(chat, str) and not jids.is_conversation(chat):
        return events.Ignored(event, "a status update, broadcast or channel post: not a conversation")
    message_type, content = _content(p)
    if message_type is None:
        return events.Ignored(event, f"a WhatsApp notice ({content}), not a message")
    me = dig(doc, "me", "id")
    group = isinstance(chat, str) and jids.is_group(chat)
    return gateway_message(
        source=_SOURCE | {"chat_jid": "payload.to" if from_me else "payload.from"},
        tenant=doc.get("session"),
        message_id=p.get("id"),
        from_jid=(p.get("from") or me) if from_me else p.get("from"),
        to_jid=p.get("to") if from_me else (p.get("to") or me),
        chat_jid=chat,
        participant=(p.get("participant") or p.get("author")) if group and not from_me else None,
        body=content,
        push_name=_push_name(p.get("_data")),
        timestamp=p.get("timestamp"),
        message_type=message_type,
        from_me=from_me,
        reply_to_message_id=text(dig(p, "replyTo", "id")),
    )


_SOURCE = {
    "tenant": "session",
    "message_id": "payload.id",
    "from_jid": "payload.from",
    "to_jid": "payload.to",
    "participant": "payload.participant",
    "body": "payload.body",
    "timestamp": "payload.timestamp",
}


def _content(p: dict) -> tuple[str | None, str]:
    """The message type and text (type None: a WhatsApp notice, named in the text)."""
    body = text(p.get("body")) or ""
    data = p.get("_data") if isinstance(p.get("_data"), dict) else {}
    webjs = data.get("type") if isinstance(data.get("type"), str) else None
    if webjs in _WEBJS_NOTICES:
        return None, webjs
    noweb = baileys.read(data["message"]) if isinstance(data.get("message"), dict) else None
    if noweb is not None and noweb.kind != "message":
        return None, noweb.message_type or noweb.kind
    location = p.get("location") if isinstance(p.get("location"), dict) else None
    if location or webjs == "location":
        location = location or {}
        where = location_text(location.get("latitude"), location.get("longitude"), location.get("description"))
        return "location", where or body
    cards = [c for c in p.get("vCards") or [] if isinstance(c, str)] if isinstance(p.get("vCards"), list) else []
    if cards or webjs in ("vcard", "multi_vcard"):
        return "contact", contacts_text(vcard_name(c) for c in cards) or (vcard_name(body) or "")
    engine_type = _WEBJS_TYPES.get(webjs or "") or _engine_media_type(data, noweb)
    media = p.get("media") if isinstance(p.get("media"), dict) else None
    if engine_type is None and not (p.get("hasMedia") is True or media):
        return "text", body
    message_type = engine_type or media_type((media or {}).get("mimetype"))
    if message_type == "document" and not body:
        body = text((media or {}).get("filename")) or ""
    return message_type, body


def _engine_media_type(data: dict, noweb: baileys.Content | None) -> str | None:
    """The type NOWEB (``_data.message``) or GOWS (``_data.Info.MediaType``) gives, for media only."""
    if noweb is not None:
        return noweb.message_type if noweb.message_type != "text" else None
    gows = text(dig(data, "Info", "MediaType"))
    return _GOWS_MEDIA.get(gows, gows) if gows else None


def _push_name(data: Any) -> str | None:
    return text(dig(data, "notifyName")) or text(dig(data, "pushName")) or text(dig(data, "Info", "PushName"))


def _receipt(doc: dict) -> events.GatewayEvent:
    p = doc.get("payload") if isinstance(doc.get("payload"), dict) else {}
    ack = p.get("ack")
    if not isinstance(ack, int) or isinstance(ack, bool):
        ack = _ACK_NAMES.get(p.get("ackName"))
    status = _ACKS.get(ack)
    if status is None:
        return events.Ignored("message.ack", f"ack {p.get('ackName') or ack} moves no delivery status")
    return events.Receipt(
        tenant=require_id(doc.get("session"), "session"),
        message_ids=(require_id(p.get("id"), "payload.id"),),
        status=status,
    )


def _reaction(doc: dict) -> events.GatewayEvent:
    p = doc.get("payload") if isinstance(doc.get("payload"), dict) else {}
    from_me = p.get("fromMe") is True
    chat = p.get("to") if from_me else p.get("from")
    sender = p.get("participant") or (dig(doc, "me", "id") if from_me else p.get("from"))
    return events.Reaction(
        tenant=require_id(doc.get("session"), "session"),
        chat_jid=require_address(chat, "payload.to" if from_me else "payload.from"),
        message_id=require_id(dig(p, "reaction", "messageId"), "payload.reaction.messageId"),
        sender_jid=require_address(sender, "payload.participant"),
        emoji=text(dig(p, "reaction", "text")) or "",
        reacted_at=optional_time(p.get("timestamp"), "payload.timestamp"),
        from_me=from_me,
    )


def _revocation(doc: dict) -> events.GatewayEvent:
    """``payload.revokedMessageId`` names the revoked message without its chat (``AAAA…``), while messages arrive
    as ``{true|false}_{chat}_{id}[_{participant}]``: every form it may have been stored under is matched. Older
    WAHA versions (and the docs' short sample) name it in ``payload.before.id``."""
    p = doc.get("payload") if isinstance(doc.get("payload"), dict) else {}
    after = p.get("after") if isinstance(p.get("after"), dict) else {}
    short = text(p.get("revokedMessageId"))
    ids = [i for i in (short, text(dig(p, "before", "id"))) if i]
    if not ids:
        ids = [require_id(dig(after, "id"), "payload.revokedMessageId")]  # WEBJS: the revoke is the message
    if short:
        chats = {c for c in (text(after.get("from")), text(after.get("to"))) if c}
        participant = text(after.get("participant"))
        for chat in sorted(chats):
            for own in ("true", "false"):
                ids.append(f"{own}_{chat}_{short}")
                if participant:
                    ids.append(f"{own}_{chat}_{short}_{participant}")
    tenant = require_id(doc.get("session"), "session")
    return events.Revocation(tenant=tenant, message_ids=tuple(dict.fromkeys(ids)))
