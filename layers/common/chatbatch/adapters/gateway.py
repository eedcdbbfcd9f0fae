"""Gateway port and its adapters, chosen by ``GATEWAY``: ``log`` (records only; the local default), ``http`` (POST
JSON ``{"session_token", "to", "text"}`` to ``GATEWAY_URL`` with ``Authorization: Bearer GATEWAY_TOKEN``), and the
real gateways ``waha``, ``evolution``, ``meta``, ``gowa``, each sending the way it documents (their modules
``gateway_<name>.py``; docs/gateways.md).

A send either succeeds (the gateway's id of the message, when it names one), or raises ``GatewayError`` saying
whether the message may have gone out anyway (``outcome_unknown``: the gateway did not answer after receiving the
request). Typing and read receipts are best effort: the use case runs them off the reply's path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chatbatch import secrets
from chatbatch.adapters.http_json import HttpFailure, post_json
from chatbatch.domain.messages import WHATSAPP_MAX_TEXT_CHARS
from chatbatch.errors import ChatbatchError, ConfigurationError
from chatbatch.observability import logger
from chatbatch.settings import GatewaySettings

# Typing and read receipts are worth little after a few seconds, and must never hold a worker thread for long.
PRESENCE_TIMEOUT_SECONDS = 3.0


class GatewayError(ChatbatchError):
    """The gateway did not accept the message. ``outcome_unknown``: it may have sent it (no answer came after the
    request reached it), so sending it again could send it twice."""

    code = "gateway_error"

    def __init__(self, message: str, *, outcome_unknown: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown
        self.status = status


@dataclass(frozen=True)
class SentMessage:
    message_id: str | None  # the gateway's (WhatsApp's) id of the sent message, when it tells us


class Gateway(Protocol):
    name: str
    max_text_chars: int  # one message's text limit (UTF-16 code units); a longer reply is sent in parts

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None) -> SentMessage:
        """Send ``text`` to the chat ``to`` from the tenant's number. ``reference``: our stable key of this message,
        passed where the gateway carries one back (Meta's ``biz_opaque_callback_data``)."""
        ...

    def mark_read_and_type(self, *, tenant: str, chat: str, message_ids: Sequence[str]) -> None:
        """Mark the customer's messages read and show "typing…" in the chat, where the gateway can."""
        ...

    def stop_typing(self, *, tenant: str, chat: str) -> None: ...


class WithoutPresence:
    """For gateways that have no typing indicator or read receipts: both do nothing."""

    def mark_read_and_type(self, *, tenant: str, chat: str, message_ids: Sequence[str]) -> None:
        return None

    def stop_typing(self, *, tenant: str, chat: str) -> None:
        return None


class LogGateway(WithoutPresence):
    """Sends nothing: logs that a reply would go out (text only at DEBUG). For local runs without a gateway."""

    name = "log"
    max_text_chars = WHATSAPP_MAX_TEXT_CHARS

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None) -> SentMessage:
        logger.info("reply handed to the log gateway", extra={"chars": len(text)})
        logger.debug("reply text", extra={"text": text})
        return SentMessage(message_id=None)


# Where a gateway with the flat contract may put the id of a sent message (top level or under ``data``).
_ID_KEYS = ("message_id", "messageId", "id")


class HttpGateway(WithoutPresence):
    name = "http"
    max_text_chars = WHATSAPP_MAX_TEXT_CHARS

    def __init__(self, *, url: str, token: str | secrets.Secret | None, timeout: float) -> None:
        self.url = url
        self._api = GatewayApi(url, token=token, auth=bearer, timeout=timeout)

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None) -> SentMessage:
        payload = {"session_token": tenant, "to": to, "text": text}
        answer = self._api.send("", payload)
        for scope in (answer, answer.get("data") if isinstance(answer, dict) else None):
            if isinstance(scope, dict):
                for key in _ID_KEYS:
                    if found := id_text(scope.get(key)):
                        return SentMessage(found)
        return SentMessage(None)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


class GatewayApi:
    """One gateway's HTTP API: its base URL, its credential (``auth`` turns it into headers), its send timeout.

    The credential is read on each call (cached: chatbatch.secrets); a call the gateway refuses with 401/403 is
    made once more with the credential read afresh, so a rotated token loses no message."""

    def __init__(
        self,
        url: str,
        *,
        token: str | secrets.Secret | None,
        auth: Callable[[str | None], dict[str, str]],
        timeout: float,
    ) -> None:
        self.url = url
        self._token = secrets.as_secret(token)
        self._auth = auth
        self._timeout = timeout

    def send(self, path: str, body: Any, *, headers: dict[str, str] | None = None) -> Any:
        """POST a message; the gateway's decoded answer."""
        return self._post(path, body, headers, self._timeout)

    def presence(
        self, path: str, body: Any, *, headers: dict[str, str] | None = None, timeout: float | None = None
    ) -> None:
        """POST a typing / read-receipt call: a short timeout, the answer unused."""
        self._post(path, body, headers, timeout or min(self._timeout, PRESENCE_TIMEOUT_SECONDS))

    def _post(self, path: str, body: Any, headers: dict[str, str] | None, timeout: float) -> Any:
        return secrets.with_fresh_secret(
            self._token,
            lambda token: post_to_gateway(
                f"{self.url}{path}", body, headers={**self._auth(token), **(headers or {})}, timeout=timeout
            ),
            refused=lambda exc: isinstance(exc, GatewayError) and exc.status in (401, 403),
        )


def post_to_gateway(
    url: str,
    payload: Any,
    *,
    timeout: float,
    bearer: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST to a gateway; its decoded JSON answer (None when the 2xx answer is empty or not JSON)."""
    try:
        raw = post_json(url, payload, bearer=bearer, headers=headers, timeout=timeout)
    except HttpFailure as failure:
        what = "may have sent the message but did not answer" if failure.outcome_unknown else "did not accept it"
        raise GatewayError(
            f"the gateway {what}: {failure.reason}", outcome_unknown=failure.outcome_unknown, status=failure.status
        ) from None
    try:
        return json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # accepted (2xx) but not JSON: sent, without an id


def each_of(*calls: Callable[[], object]) -> None:
    """Make every call even if an earlier one fails (a failed read receipt must not cost the typing indicator);
    then raise the first failure."""
    failures: list[Exception] = []
    for call in calls:
        try:
            call()
        except Exception as exc:
            failures.append(exc)
    if failures:
        raise failures[0]


def id_text(value: Any) -> str | None:
    """An id as text, if ``value`` is one (a non-empty string or a number)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value).strip() or None


def digits_of(jid: str) -> str:
    """The phone number of a personal JID (``6281…@s.whatsapp.net``, ``6281…@c.us``, or the bare number)."""
    return jid.split("@", 1)[0].split(":", 1)[0]


def is_personal(jid: str) -> bool:
    """A phone-number chat (not a group, a LID, a channel or a broadcast list)."""
    return "@" not in jid or jid.endswith(("@s.whatsapp.net", "@c.us"))


def gateway_from_settings(settings: GatewaySettings) -> Gateway:
    if settings.gateway == "log":
        return LogGateway()
    from chatbatch.adapters import gateway_evolution, gateway_gowa, gateway_meta, gateway_waha

    url = settings.gateway_url or (gateway_meta.GRAPH_API_URL if settings.gateway == "meta" else None)
    if not url:
        raise ConfigurationError(f"GATEWAY_URL must be set when GATEWAY is {settings.gateway}")
    url = url.rstrip("/")
    token = secrets.secret(
        settings.gateway_token, settings.gateway_token_secret_arn, json_key="gateway_token", settings=settings
    )
    timeout = settings.gateway_timeout_seconds
    if settings.gateway == "http":
        gateway: Gateway = HttpGateway(url=url, token=token, timeout=timeout)
    else:
        if not token.configured:
            raise ConfigurationError(
                f"GATEWAY_TOKEN or GATEWAY_TOKEN_SECRET_ARN must be set when GATEWAY is {settings.gateway}"
            )
        make = {
            "waha": gateway_waha.WahaGateway,
            "evolution": gateway_evolution.EvolutionGateway,
            "meta": gateway_meta.MetaGateway,
            "gowa": gateway_gowa.GowaGateway,
        }[settings.gateway]
        gateway = make(url=url, token=token, timeout=timeout)
    if settings.gateway_max_text_chars:
        gateway.max_text_chars = min(gateway.max_text_chars, settings.gateway_max_text_chars)
    return gateway
