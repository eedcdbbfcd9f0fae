"""What a message holds, as every gateway adapter stores it: the type and the text of a history message. Pure.

Message types (``chat_messages.message_type``): text, image, video, audio, voice (a voice note), document,
sticker, location, contact, interactive / button (a tapped reply button or list row), poll, and any other type a
gateway names. The stored text is what a person reads in the history and the LLM sees after ``[type]``: the
text or caption; a document's file name when it has no caption; a location or a contact card written out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chatbatch.domain.inbound.events import text


def media_type(mimetype: Any) -> str:
    """The message type of an attachment by its MIME type (a gateway that says nothing more)."""
    kind = mimetype.split("/", 1)[0].lower() if isinstance(mimetype, str) else ""
    if mimetype == "image/webp":
        return "sticker"  # WhatsApp sends stickers as WebP; photos arrive as JPEG
    return kind if kind in ("image", "video", "audio") else "document"


def location_text(latitude: Any, longitude: Any, *names: Any) -> str:
    """``"Name, address (lat, long)"``: what a person (and the LLM) can read of a shared location."""
    label = ", ".join(n.strip() for n in names if isinstance(n, str) and n.strip())
    coords = (
        f"({latitude}, {longitude})"
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude))
        else ""
    )
    return " ".join(part for part in (label, coords) if part)


def vcard_name(vcard: Any) -> str | None:
    """The formatted name (``FN:``) of a vCard."""
    if not isinstance(vcard, str):
        return None
    for line in vcard.splitlines():
        key, _, value = line.partition(":")
        if key.split(";", 1)[0].strip().upper() == "FN" and value.strip():
            return value.strip()
    return None


def contacts_text(names: Iterable[Any]) -> str:
    """Shared contact cards as text: their names, comma-separated."""
    return ", ".join(n.strip() for n in names if text(n) and n.strip())


def joined(*parts: Any) -> str:
    """The non-empty parts, one per line (a list reply's title and description, say)."""
    return "\n".join(p.strip() for p in parts if text(p) and p.strip())
