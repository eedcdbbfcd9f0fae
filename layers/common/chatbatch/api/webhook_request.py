"""What every webhook route does before it parses anything: read the raw body, prove who sent it; and what it
counts afterwards. Secrets come from the settings, directly or from Secrets Manager, read once per container."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import MetricUnit

from chatbatch import secrets
from chatbatch.domain.inbound.signatures import (
    HUB_SIGNATURE_HEADER,
    SECRET_HEADER,
    WAHA_ALGORITHM_HEADER,
    WAHA_HMAC_HEADER,
    hub_signature_matches,
    secret_matches,
    waha_hmac_matches,
)
from chatbatch.errors import BadRequest, ConfigurationError, PayloadTooLarge, Unauthorized
from chatbatch.observability import MetricName, metrics
from chatbatch.services.ingest import IngestResult
from chatbatch.settings import ApiSettings


@dataclass(frozen=True)
class WebhookRequest:
    """What a webhook route reads of its request (API Gateway's HTTP API gives header names in lower case)."""

    headers: Mapping[str, str]
    body: str | None
    is_base64_encoded: bool = False
    query: Mapping[str, str] = field(default_factory=dict)


def raw_body(request: WebhookRequest, settings: ApiSettings) -> bytes:
    """The request body's bytes as the gateway sent them (what signatures cover), within the size limit."""
    raw = request.body or ""
    if request.is_base64_encoded:
        if len(raw) > settings.max_webhook_body_bytes * 4 // 3 + 4:
            raise _too_large(settings)
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("the body is marked base64-encoded but is not valid base64") from None
    else:
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > settings.max_webhook_body_bytes:
        raise _too_large(settings)
    return data


def _too_large(settings: ApiSettings) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the body is larger than {settings.max_webhook_body_bytes} bytes; a WhatsApp text is at most 65536 characters"
    )


def decode_json(data: bytes) -> object:
    if not data.strip():
        raise BadRequest("the body is empty; send the message as a JSON object")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal over Python's 4300-digit limit
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


# --- secrets ------------------------------------------------------------------------------------------------


def secret(settings: ApiSettings, name: str) -> secrets.Secret:
    """The setting ``name`` (e.g. ``meta_app_secret``) or its ``<name>_arn`` secret (re-read after
    SECRETS_MAX_AGE_SECONDS). A JSON secret may hold several values: the one under ``name`` is used."""
    return secrets.secret(getattr(settings, name), getattr(settings, f"{name}_arn"), json_key=name, settings=settings)


def required_secret(settings: ApiSettings, name: str) -> secrets.Secret:
    found = secret(settings, name)
    if not found.configured:
        raise ConfigurationError(f"{name.upper()} or {name.upper()}_ARN must be set")
    return found


def proven(key: secrets.Secret, matches: Callable[[bytes], bool]) -> bool:
    """Whether a request's proof ``matches`` the secret: its current value, or while it rotates its previous one,
    or its value read afresh (a gateway may move to a new value before this container's cache does)."""
    return any(matches(value.encode("utf-8")) for value in key.candidates())


# --- who sent it ----------------------------------------------------------------------------------------------


def require_shared_secret(headers: Mapping[str, str], settings: ApiSettings, *, given: str | None = None) -> None:
    """The shared ``X-Webhook-Secret`` (or ``given``, a secret from the URL path) must match WEBHOOK_SECRET."""
    settings.require_webhook_secret()
    provided = given if given is not None else headers.get(SECRET_HEADER)
    if not proven(secret(settings, "webhook_secret"), lambda expected: secret_matches(expected, provided)):
        raise Unauthorized(
            "wrong secret in the webhook URL"
            if given is not None
            else f"missing or wrong {SECRET_HEADER.title()} header"
        )


def require_hub_signature(headers: Mapping[str, str], body: bytes, key: secrets.Secret, setting: str) -> None:
    """``X-Hub-Signature-256``: the HMAC-SHA256 of the raw body keyed with ``key`` (the setting ``setting``)."""
    signature = headers.get(HUB_SIGNATURE_HEADER)
    if not proven(key, lambda value: hub_signature_matches(value, body, signature)):
        raise Unauthorized(
            f"missing or wrong X-Hub-Signature-256 header: it must be sha256=<hex HMAC-SHA256 of the raw body keyed "
            f"with {setting}>"
        )


def require_waha_sender(headers: Mapping[str, str], body: bytes, settings: ApiSettings) -> None:
    """WAHA's HMAC (``X-Webhook-Hmac``, SHA-512) when WAHA_HMAC_KEY is set, else the shared secret header."""
    key = secret(settings, "waha_hmac_key")
    digest, algorithm = headers.get(WAHA_HMAC_HEADER), headers.get(WAHA_ALGORITHM_HEADER)
    if not key.configured:
        require_shared_secret(headers, settings)
    elif not proven(key, lambda value: waha_hmac_matches(value, body, digest, algorithm)):
        raise Unauthorized(
            "missing or wrong X-Webhook-Hmac header: it must be the hex HMAC-SHA512 of the raw body keyed with "
            "WAHA_HMAC_KEY (X-Webhook-Hmac-Algorithm: sha512)"
        )


def require_gowa_sender(headers: Mapping[str, str], body: bytes, settings: ApiSettings) -> None:
    """GOWA's signature (``X-Hub-Signature-256``) when GOWA_WEBHOOK_SECRET is set, else the shared secret header."""
    key = secret(settings, "gowa_webhook_secret")
    if key.configured:
        require_hub_signature(headers, body, key, "GOWA_WEBHOOK_SECRET")
    else:
        require_shared_secret(headers, settings)


# --- what was received --------------------------------------------------------------------------------------


def count_ingest(result: IngestResult) -> None:
    """The metrics of one message that went through ingest (every webhook route counts them alike)."""
    name = MetricName.DUPLICATE_WEBHOOKS if result.status == "duplicate" else MetricName.MESSAGES_RECEIVED
    metrics.add_metric(name=name.value, unit=MetricUnit.Count, value=1)
    if result.takeover:
        metrics.add_metric(name=MetricName.TAKEOVERS.value, unit=MetricUnit.Count, value=1)


def webhook_request(event) -> WebhookRequest:
    """The request of a Powertools event (``BaseProxyEvent``): what the resolver's webhook routes pass on."""
    return WebhookRequest(
        headers=event.headers,
        body=event.body,
        is_base64_encoded=bool(event.is_base64_encoded),
        query=event.query_string_parameters or {},
    )
