"""WAHA (WhatsApp HTTP API, devlikeapro/waha) as documented at waha.devlike.pro, "Send messages" and "Security".

- send: ``POST {GATEWAY_URL}/api/sendText`` with ``X-Api-Key``, body ``{"session", "chatId", "text"}``; the tenant is
  the WAHA session, the chat a ``…@c.us`` / ``…@g.us`` / ``…@lid`` id.
- the answer is the engine's message: WEBJS ``{"id": {"_serialized": "true_…@c.us_3EB0…"}, …}`` (or ``_data.id``),
  NOWEB ``{"key": {"remoteJid", "fromMe", "id"}, …}``, GOWS ``{"id": "true_…"}``. The id is kept in the
  serialised form WAHA's webhooks use (``message.any`` ``payload.id``), so echo and receipts match it.
- read + typing: ``POST /api/sendSeen`` ``{"session", "chatId", "messageIds"}`` then ``POST /api/startTyping``
  ``{"session", "chatId"}``; ``POST /api/stopTyping`` clears it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbatch.adapters.gateway import GatewayApi, SentMessage, each_of, id_text, is_personal
from chatbatch.domain.messages import WHATSAPP_MAX_TEXT_CHARS
from chatbatch.secrets import Secret


def chat_id(jid: str) -> str:
    """WAHA names a phone-number chat ``<number>@c.us``; groups, LIDs and channels keep their id."""
    if is_personal(jid):
        return jid.split("@", 1)[0] + "@c.us"
    return jid


class WahaGateway:
    name = "waha"
    max_text_chars = WHATSAPP_MAX_TEXT_CHARS  # WhatsApp's own limit: WAHA passes the text on unchanged

    def __init__(self, *, url: str, token: str | Secret, timeout: float) -> None:
        self.url = url
        self._api = GatewayApi(url, token=token, auth=lambda key: {"X-Api-Key": key or ""}, timeout=timeout)

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None) -> SentMessage:
        answer = self._api.send("/api/sendText", {"session": tenant, "chatId": chat_id(to), "text": text})
        return SentMessage(sent_message_id(answer))

    def mark_read_and_type(self, *, tenant: str, chat: str, message_ids: Sequence[str]) -> None:
        chat_ref = {"session": tenant, "chatId": chat_id(chat)}
        each_of(
            lambda: self._api.presence("/api/sendSeen", {**chat_ref, "messageIds": list(message_ids)}),
            lambda: self._api.presence("/api/startTyping", chat_ref),
        )

    def stop_typing(self, *, tenant: str, chat: str) -> None:
        self._api.presence("/api/stopTyping", {"session": tenant, "chatId": chat_id(chat)})


def sent_message_id(answer: Any) -> str | None:
    """The serialised id (``true_<chat>_<key>``) of the message in a sendText answer, whatever the engine."""
    if not isinstance(answer, dict):
        return None
    for holder in (answer, answer.get("_data")):
        if not isinstance(holder, dict):
            continue
        value = holder.get("id")
        if isinstance(value, dict):
            value = value.get("_serialized")
        if found := id_text(value):
            return found
    key = answer.get("key")  # NOWEB answers with the Baileys message key
    if isinstance(key, dict) and (key_id := id_text(key.get("id"))):
        remote = str(key.get("remoteJid") or "")
        return f"{'true' if key.get('fromMe', True) else 'false'}_{chat_id(remote)}_{key_id}" if remote else key_id
    return None
