"""go-whatsapp-web-multidevice (GOWA, aldinokemal) as its docs/openapi.yaml (v9) defines it.

- send: ``POST {GATEWAY_URL}/send/message`` with HTTP basic auth (``GATEWAY_TOKEN`` = ``user:password``, one of
  its ``APP_BASIC_AUTH`` pairs) and ``X-Device-Id: <tenant>`` (the device id registered with ``POST /devices``, the
  ``session_id`` its webhooks carry), body ``{"phone": "<number>@s.whatsapp.net", "message": …}``.
- the answer: ``{"code": "SUCCESS", "results": {"message_id": "3EB0…", "status": …}}``; its webhooks carry the same
  id for our own message (``payload.id``, ``is_from_me``).
- read: ``POST /message/{message_id}/read`` ``{"phone"}`` per message; typing: ``POST /send/chat-presence``
  ``{"phone", "action": "start"}``, ``"stop"`` clears it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from urllib.parse import quote

from chatbatch.adapters.gateway import GatewayApi, SentMessage, digits_of, each_of, id_text, is_personal
from chatbatch.domain.messages import WHATSAPP_MAX_TEXT_CHARS
from chatbatch.errors import ConfigurationError
from chatbatch.secrets import Secret, as_secret


def phone(jid: str) -> str:
    """GOWA's ``phone``: a JID, ``<number>@s.whatsapp.net`` for a phone-number chat."""
    return f"{digits_of(jid)}@s.whatsapp.net" if is_personal(jid) else jid


class GowaGateway:
    name = "gowa"
    max_text_chars = WHATSAPP_MAX_TEXT_CHARS  # WhatsApp's own limit: GOWA passes the text on unchanged

    def __init__(self, *, url: str, token: str | Secret, timeout: float) -> None:
        if ":" not in (as_secret(token).current() or ""):
            raise ConfigurationError("GATEWAY_TOKEN for gowa must be user:password (one of GOWA's APP_BASIC_AUTH)")
        self.url = url
        self._api = GatewayApi(url, token=token, auth=_basic, timeout=timeout)

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None) -> SentMessage:
        body = {"phone": phone(to), "message": text}
        answer = self._api.send("/send/message", body, headers=_device(tenant))
        results = answer.get("results") if isinstance(answer, dict) else None
        return SentMessage(id_text(results.get("message_id")) if isinstance(results, dict) else None)

    def mark_read_and_type(self, *, tenant: str, chat: str, message_ids: Sequence[str]) -> None:
        device = _device(tenant)

        def read_each() -> None:  # one request per bubble; a gateway that fails the first is not asked again
            for message_id in message_ids:
                self._api.presence(
                    f"/message/{quote(message_id, safe='')}/read", {"phone": phone(chat)}, headers=device
                )

        each_of(
            read_each,
            lambda: self._api.presence(
                "/send/chat-presence", {"phone": phone(chat), "action": "start"}, headers=device
            ),
        )

    def stop_typing(self, *, tenant: str, chat: str) -> None:
        self._api.presence("/send/chat-presence", {"phone": phone(chat), "action": "stop"}, headers=_device(tenant))


def _device(device_id: str) -> dict[str, str]:
    return {"X-Device-Id": quote(device_id, safe="@.")}


def _basic(token: str | None) -> dict[str, str]:
    """GOWA's APP_BASIC_AUTH: ``user:password`` as HTTP Basic."""
    return {"Authorization": "Basic " + base64.b64encode((token or "").encode("utf-8")).decode("ascii")}
