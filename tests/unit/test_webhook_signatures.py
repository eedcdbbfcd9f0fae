"""The gateways' webhook signatures, checked over the raw body."""

import hashlib
import hmac
import json

import pytest
from chatbatch.domain.inbound.signatures import hub_signature_matches, secret_matches, waha_hmac_matches

BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def hub(key: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def test_wahas_documented_example_verifies():
    # WAHA's docs (how-to/events, "HMAC authentication"): this body, key and digest
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    digest = (
        "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8"
        "097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    )
    assert waha_hmac_matches(b"my-secret-key", body, digest, "sha512")
    assert waha_hmac_matches(b"my-secret-key", body, digest.upper(), None)  # no algorithm header: WAHA's only one
    assert not waha_hmac_matches(b"my-secret-key", body + b" ", digest, "sha512")
    assert not waha_hmac_matches(b"my-secret-key", body, digest, "sha256")
    assert not waha_hmac_matches(b"", body, digest, "sha512")


@pytest.mark.parametrize(
    "header, ok",
    [
        (hub(b"app-secret", BODY), True),
        (hub(b"app-secret", BODY).upper().replace("SHA256=", "sha256="), True),  # hex in either case
        (hub(b"app-secret", BODY).replace("sha256=", "SHA256="), True),
        (hub(b"other", BODY), False),
        (hub(b"app-secret", json.dumps(json.loads(BODY)).encode()), False),  # the same JSON, other bytes
        (hub(b"app-secret", BODY)[7:], False),
        ("sha256=", False),
        ("", False),
        (None, False),
        ("sha256=zz", False),
    ],
)
def test_hub_signature(header, ok):
    assert hub_signature_matches(b"app-secret", BODY, header) is ok


def test_no_key_matches_nothing():
    assert not hub_signature_matches(b"", BODY, hub(b"", BODY))
    assert not secret_matches(b"", "")


@pytest.mark.parametrize("given, ok", [("s3cret", True), ("s3cre", False), ("", False), (None, False), ("é", False)])
def test_shared_secret(given, ok):
    assert secret_matches(b"s3cret", given) is ok
