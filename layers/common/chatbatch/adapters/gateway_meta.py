"""The WhatsApp Cloud API (Meta Graph API), "Messages" and "Typing indicators" reference.

- send: ``POST {GATEWAY_URL}/{phone_number_id}/messages`` (``GATEWAY_URL`` = ``https://graph.facebook.com/<version>``)
  with ``Authorization: Bearer <access token>``, body ``{"messaging_product": "whatsapp", "recipient_type":
  "individual", "to": "<phone number>", "type": "text", "text": {"preview_url": false, "body": …}}``. The tenant is
  the business phone number's id; a customer known only by a business-scoped user id (``US.123…``) is addressed
  with ``recipient`` instead of ``to``. Text bodies hold at most 4,096 characters.
- ``biz_opaque_callback_data`` carries our reference of the part: Meta returns it in the message's ``statuses``
  webhooks, the only sign Meta gives of a message it accepted (it sends no echo of the business's messages).
- the answer names the message: ``{"messages": [{"id": "wamid.…"}]}``, the id its ``statuses`` carry.
- read + typing: one call, ``{"messaging_product": "whatsapp", "status": "read", "message_id": <newest>,
  "typing_indicator": {"type": "text"}}`` marks that message (and the earlier ones) read and shows "typing…" until
  the reply arrives or 25 s pass; there is nothing to stop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from chatbatch.adapters.gateway import GatewayApi, SentMessage, bearer, digits_of, id_text, is_personal
from chatbatch.secrets import Secret

GRAPH_API_URL = "https://graph.facebook.com/v25.0"
TEXT_LIMIT = 4096  # text.body, "Maximum 4096 characters"
_BUSINESS_SCOPED_USER_ID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")


def recipient(jid: str) -> dict[str, str]:
    """The addressing fields of a message to the chat ``jid``."""
    if _BUSINESS_SCOPED_USER_ID.match(jid):
        return {"recipient_type": "individual", "recipient": jid}
    if is_personal(jid):
        return {"recipient_type": "individual", "to": digits_of(jid)}
    return {"recipient_type": "group", "to": jid}


class MetaGateway:
    name = "meta"
    max_text_chars = TEXT_LIMIT

    def __init__(self, *, url: str, token: str | Secret, timeout: float) -> None:
        self.url = url
        self._api = GatewayApi(url, token=token, auth=bearer, timeout=timeout)

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None) -> SentMessage:
        body: dict = {
            "messaging_product": "whatsapp",
            **recipient(to),
            "type": "text",
            "text": {"preview_url": False, "body": text},
        }
        if reference:
            body["biz_opaque_callback_data"] = reference
        answer = self._api.send(_messages(tenant), body)
        messages = answer.get("messages") if isinstance(answer, dict) else None
        first = messages[0] if isinstance(messages, list) and messages else None
        return SentMessage(id_text(first.get("id")) if isinstance(first, dict) else None)

    def mark_read_and_type(self, *, tenant: str, chat: str, message_ids: Sequence[str]) -> None:
        if message_ids:
            read_and_type = {
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": message_ids[-1],
                "typing_indicator": {"type": "text"},
            }
            self._api.presence(_messages(tenant), read_and_type)

    def stop_typing(self, *, tenant: str, chat: str) -> None:
        return None  # the indicator ends when the reply is delivered, or after 25 s


def _messages(phone_number_id: str) -> str:
    return f"/{quote(phone_number_id, safe='')}/messages"
