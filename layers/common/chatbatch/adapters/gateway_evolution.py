"""Evolution API v2 (EvolutionAPI/evolution-api, v2.3) as its routes and validation schemas define it.

- send: ``POST {GATEWAY_URL}/message/sendText/{instance}`` with the ``apikey`` header (the global key or the
  instance's token), the v2 flat body ``{"number", "text"}`` (v1's ``textMessage.text`` is refused by v2). The tenant
  is the instance; ``number`` is the phone number, or the JID of a group.
- the answer (201) is the stored message: ``{"key": {"remoteJid", "fromMe": true, "id": "BAE5…"}, …}``; its
  ``key.id`` is the id Evolution's ``messages.upsert`` / ``send.message`` webhooks carry.
- read: ``POST /chat/markMessageAsRead/{instance}`` ``{"readMessages": [{"remoteJid", "fromMe": false, "id"}]}``;
  typing: ``POST /chat/sendPresence/{instance}`` ``{"number", "presence": "composing", "delay"}`` — Evolution holds
  that request open for ``delay`` ms and then pauses the indicator itself, so it is sent off the reply's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from chatbatch.adapters.gateway import (
    PRESENCE_TIMEOUT_SECONDS,
    GatewayApi,
    SentMessage,
    digits_of,
    each_of,
    id_text,
    is_personal,
)
from chatbatch.domain.messages import WHATSAPP_MAX_TEXT_CHARS
from chatbatch.secrets import Secret

TYPING_MILLISECONDS = 8_000  # about one LLM answer; WhatsApp clears it anyway when the reply arrives


def number(jid: str) -> str:
    """Evolution's ``number``: the phone number of a personal chat, else the JID (groups, LIDs)."""
    return digits_of(jid) if is_personal(jid) else jid


def personal_jid(jid: str) -> str:
    """The Baileys JID of a chat, as the message keys Evolution reads carry it."""
    return f"{digits_of(jid)}@s.whatsapp.net" if is_personal(jid) else jid


class EvolutionGateway:
    name = "evolution"
    max_text_chars = WHATSAPP_MAX_TEXT_CHARS  # WhatsApp's own limit: Evolution passes the text on unchanged

    def __init__(self, *, url: str, token: str | Secret, timeout: float) -> None:
        self.url = url
        self._api = GatewayApi(url, token=token, auth=lambda key: {"apikey": key or ""}, timeout=timeout)

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None) -> SentMessage:
        answer = self._api.send(_path("message/sendText", tenant), {"number": number(to), "text": text})
        key = answer.get("key") if isinstance(answer, dict) else None
        return SentMessage(id_text(key.get("id")) if isinstance(key, dict) else None)

    def mark_read_and_type(self, *, tenant: str, chat: str, message_ids: Sequence[str]) -> None:
        read = [{"remoteJid": personal_jid(chat), "fromMe": False, "id": m} for m in message_ids]
        typing = {"number": number(chat), "presence": "composing", "delay": TYPING_MILLISECONDS}
        each_of(
            lambda: self._api.presence(_path("chat/markMessageAsRead", tenant), {"readMessages": read}),
            lambda: self._api.presence(
                _path("chat/sendPresence", tenant),
                typing,
                timeout=TYPING_MILLISECONDS / 1000 + PRESENCE_TIMEOUT_SECONDS,  # held open for the delay
            ),
        )

    def stop_typing(self, *, tenant: str, chat: str) -> None:
        return None  # Evolution pauses the indicator itself after the delay


def _path(route: str, instance: str) -> str:
    return f"/{route}/{quote(instance, safe='')}"
