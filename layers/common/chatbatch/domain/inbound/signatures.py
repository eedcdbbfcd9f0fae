"""How each gateway proves a webhook is its own, checked in constant time. Pure (the keys are given).

- The Cloud API (Meta) and go-whatsapp-web-multidevice: ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of
  the raw body keyed with the app secret / the webhook secret.
- WAHA: ``X-Webhook-Hmac: <hex>``, the HMAC-SHA512 of the raw body keyed with the session's ``hmac.key``, and
  ``X-Webhook-Hmac-Algorithm: sha512``.
- A shared secret (``X-Webhook-Secret``, or a path segment for a gateway that sends no headers).

Signatures cover the raw bytes as they arrived: JSON parsed and serialised again is other bytes and fails.
"""

from __future__ import annotations

import hashlib
import hmac

HUB_SIGNATURE_HEADER = "x-hub-signature-256"
WAHA_HMAC_HEADER = "x-webhook-hmac"
WAHA_ALGORITHM_HEADER = "x-webhook-hmac-algorithm"
SECRET_HEADER = "x-webhook-secret"
_HUB_PREFIX = "sha256="


def secret_matches(expected: bytes, given: str | None) -> bool:
    """A shared secret, compared in constant time (an empty expectation matches nothing)."""
    return bool(expected) and given is not None and hmac.compare_digest(given.encode("utf-8"), expected)


def hub_signature_matches(key: bytes, body: bytes, header: str | None) -> bool:
    """``sha256=<hex HMAC-SHA256(key, body)>`` (hex digits in either case)."""
    if not key or not header or header[: len(_HUB_PREFIX)].lower() != _HUB_PREFIX:
        return False
    return _hex_matches(hmac.new(key, body, hashlib.sha256).hexdigest(), header[len(_HUB_PREFIX) :])


def waha_hmac_matches(key: bytes, body: bytes, digest: str | None, algorithm: str | None) -> bool:
    """WAHA's ``X-Webhook-Hmac`` (hex HMAC-SHA512); its algorithm header, when sent, must say ``sha512``."""
    if not key or not digest or (algorithm is not None and algorithm.strip().lower() != "sha512"):
        return False
    return _hex_matches(hmac.new(key, body, hashlib.sha512).hexdigest(), digest)


def _hex_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))
