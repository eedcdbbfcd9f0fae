"""The WhatsApp message proto as JSON (Baileys' ``WAMessage.message``): what Evolution API posts in ``data.message``
and WAHA's NOWEB engine in ``payload._data.message``. Pure.

A message object has one content key (``conversation``, ``imageMessage``, ``reactionMessage``, …) next to
bookkeeping keys (``messageContextInfo``, ``senderKeyDistributionMessage``), possibly wrapped
(``ephemeralMessage``, ``viewOnceMessage``, ``documentWithCaptionMessage``: ``{"message": {...}}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatbatch.domain.inbound.content import contacts_text, joined, location_text, vcard_name
from chatbatch.domain.inbound.events import dig, text

_WRAPPERS = (
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
    "documentWithCaptionMessage",
    "groupMentionedMessage",
)
_PROTOCOL_REVOKE = ("REVOKE", 0)  # protocolMessage.type: the enum's name, or its number in older JSON


@dataclass(frozen=True)
class Content:
    """What a message object holds.

    ``kind``: ``message`` (a message to store), ``reaction`` (``target_id`` reacted to with ``emoji``),
    ``revoke`` (``target_id`` deleted for everyone), ``other`` (an edit, a poll vote, a protocol notice, …).
    """

    kind: str
    message_type: str = ""
    text: str = ""
    quoted_id: str | None = None
    target_id: str | None = None
    emoji: str = ""


def unwrap(message: Any) -> dict:
    while isinstance(message, dict):
        inner = next((dig(message, w, "message") for w in _WRAPPERS if dig(message, w, "message") is not None), None)
        if not isinstance(inner, dict):
            return message
        message = inner
    return {}


def read(message: Any) -> Content:
    """The content of a message object (``{}`` or a shape we do not know: ``other``)."""
    m = unwrap(message)
    quoted = _quoted_id(m)
    if "conversation" in m:
        return Content("message", "text", text(m["conversation"]) or "", quoted)
    if "extendedTextMessage" in m:
        return Content("message", "text", text(dig(m, "extendedTextMessage", "text")) or "", quoted)
    for key, message_type in _MEDIA.items():
        if key in m:
            part = m[key] if isinstance(m[key], dict) else {}
            if key == "audioMessage" and part.get("ptt") is True:
                message_type = "voice"
            caption = text(part.get("caption")) or (
                text(part.get("fileName")) or text(part.get("title")) if key == "documentMessage" else None
            )
            return Content("message", message_type, caption or "", quoted)
    for key in ("locationMessage", "liveLocationMessage"):
        if key in m:
            part = m[key] if isinstance(m[key], dict) else {}
            return Content("message", "location", location_of(part), quoted)
    if "contactMessage" in m:
        card = m["contactMessage"] if isinstance(m["contactMessage"], dict) else {}
        name = text(card.get("displayName")) or vcard_name(card.get("vcard"))
        return Content("message", "contact", contacts_text([name]), quoted)
    if "contactsArrayMessage" in m:
        cards = dig(m, "contactsArrayMessage", "contacts") or []
        names = [text(dig(c, "displayName")) or vcard_name(dig(c, "vcard")) for c in cards]
        return Content("message", "contact", contacts_text(names), quoted)
    if "reactionMessage" in m:
        return Content(
            "reaction",
            target_id=text(dig(m, "reactionMessage", "key", "id")),
            emoji=text(dig(m, "reactionMessage", "text")) or "",
        )
    if "protocolMessage" in m:
        if dig(m, "protocolMessage", "type") in _PROTOCOL_REVOKE:
            return Content("revoke", target_id=text(dig(m, "protocolMessage", "key", "id")))
        return Content("other", "protocol")
    for key, field in _REPLIES.items():
        if key in m:
            answer = m[key] if isinstance(m[key], dict) else {}
            title = text(answer.get(field)) or text(dig(answer, "singleSelectReply", "selectedRowId"))
            return Content("message", "interactive", joined(title, answer.get("description")), quoted)
    for key in ("pollCreationMessage", "pollCreationMessageV2", "pollCreationMessageV3"):
        if key in m:
            return Content("message", "poll", text(dig(m, key, "name")) or "", quoted)
    if "editedMessage" in m or "pollUpdateMessage" in m:
        return Content("other", "edit" if "editedMessage" in m else "poll vote")
    return Content("other", next((k for k in m if k not in _BOOKKEEPING), "empty"))


def location_of(part: dict) -> str:
    """A ``locationMessage`` as text (also GOWA's ``location``, the same proto)."""
    return location_text(
        part.get("degreesLatitude"), part.get("degreesLongitude"), part.get("name"), part.get("address")
    )


def _quoted_id(m: dict) -> str | None:
    for value in m.values():
        quoted = text(dig(value, "contextInfo", "stanzaId"))
        if quoted:
            return quoted
    return None


_MEDIA = {
    "imageMessage": "image",
    "videoMessage": "video",
    "ptvMessage": "video",
    "audioMessage": "audio",
    "documentMessage": "document",
    "stickerMessage": "sticker",
}
_REPLIES = {
    "buttonsResponseMessage": "selectedDisplayText",
    "templateButtonReplyMessage": "selectedDisplayText",
    "listResponseMessage": "title",
}
_BOOKKEEPING = {"messageContextInfo", "senderKeyDistributionMessage", "base64", "mediaUrl", "speechToText"}
