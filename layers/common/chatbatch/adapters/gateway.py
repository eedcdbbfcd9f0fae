"""Gateway port and its adapters, chosen by ``GATEWAY``: ``log`` (records only; the local default) and ``http``
(POST JSON ``{"session_token", "to", "text"}`` to ``GATEWAY_URL`` with ``Authorization: Bearer GATEWAY_TOKEN``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from chatbatch import secrets
from chatbatch.adapters.http_json import HttpFailure, post_json
from chatbatch.errors import ChatbatchError, ConfigurationError
from chatbatch.observability import logger
from chatbatch.settings import GatewaySettings


class GatewayError(ChatbatchError):
    """The gateway did not accept the reply; the job is retried (its saved reply is re-sent)."""

    code = "gateway_error"


@dataclass(frozen=True)
class SentMessage:
    message_id: str | None  # the gateway's (WhatsApp's) id of the sent message, when it tells us


class Gateway(Protocol):
    def send(self, *, session_token: str, to: str, text: str) -> SentMessage: ...


class LogGateway:
    """Sends nothing: logs that a reply would go out (text only at DEBUG). For local runs without a gateway."""

    def send(self, *, session_token: str, to: str, text: str) -> SentMessage:
        logger.info("reply handed to the log gateway", extra={"chars": len(text)})
        logger.debug("reply text", extra={"text": text})
        return SentMessage(message_id=None)


# Where gateways put the id of a sent message (go-whatsapp-web-multidevice, WAHA, Evolution API, plain).
_ID_KEYS = ("message_id", "messageId", "id")


class HttpGateway:
    def __init__(self, *, url: str, token: str | None, timeout: float) -> None:
        self.url = url
        self._token = token
        self._timeout = timeout

    def send(self, *, session_token: str, to: str, text: str) -> SentMessage:
        payload = {"session_token": session_token, "to": to, "text": text}
        try:
            raw = post_json(self.url, payload, bearer=self._token, timeout=self._timeout)
        except HttpFailure as failure:
            raise GatewayError(f"the gateway did not accept the reply: {failure.reason}") from None
        return SentMessage(message_id=_message_id(raw))


def _message_id(raw: bytes) -> str | None:
    """The sent message's id from the answer (top level or under ``data``); None when it names none."""
    try:
        answer: Any = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # accepted (2xx) but not JSON: sent, without an id
    for scope in (answer, answer.get("data") if isinstance(answer, dict) else None):
        if isinstance(scope, dict):
            for key in _ID_KEYS:
                value = scope.get(key)
                if isinstance(value, (str, int)) and str(value).strip():
                    return str(value)
    return None


def gateway_from_settings(settings: GatewaySettings) -> Gateway:
    if settings.gateway == "log":
        return LogGateway()
    if not settings.gateway_url:
        raise ConfigurationError("GATEWAY_URL must be set when GATEWAY is http")
    token = secrets.resolve(settings.gateway_token, settings.gateway_token_secret_arn, json_key="gateway_token")
    return HttpGateway(url=settings.gateway_url, token=token, timeout=settings.gateway_timeout_seconds)
