"""Each gateway's route proves the sender first, with the strongest proof the gateway offers: a forged, missing or
re-serialised signature is 401 before anything is parsed or written. Meta's verification GET answers the challenge
only with the right token."""

from __future__ import annotations

import json

import pytest
from chatbatch_local.lambda_runtime import LambdaContext, decode_response, http_api_event

from tests.support import SECRET, invoke, load_event
from tests.support.foundation import counts
from tests.support.gateways import (
    GOWA_SECRET,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    WAHA_HMAC_KEY,
    as_tenant,
    fixture,
    hub_signature,
    post,
    waha_hmac,
)

META_TEXT = "meta-cloud-api/pywa_message__text.json"
WAHA_TEXT = "waha/message_media_image_with_caption.json"
GOWA_TEXT = "go-whatsapp-web-multidevice/message_text.json"


def body_of(name: str, tenant: str) -> bytes:
    return json.dumps(as_tenant(fixture(name), tenant), separators=(",", ":")).encode()


def assert_refused(api_function, pg, tenant, event, *, status=401) -> dict:
    got, body = invoke(api_function, event)
    assert (got, body["error"]) == (status, {401: "unauthorized", 403: "forbidden"}[status]), body
    assert counts(pg, tenant) == (0, 0, 0)
    return body


# --- the Cloud API (Meta) --------------------------------------------------------------------------------------


def test_a_delivery_signed_with_the_app_secret_is_accepted(api_function, pg, tenant):
    body = body_of(META_TEXT, tenant)
    status, answer = invoke(
        api_function,
        post("/webhook/meta", raw=body, headers={"x-hub-signature-256": hub_signature(META_APP_SECRET, body)}),
    )
    assert (status, answer["status"]) == (200, "accepted")
    assert counts(pg, tenant) == (1, 1, 1)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        "sha1=" + "0" * 40,
        lambda body: hub_signature("another-app-secret", body),
        lambda body: hub_signature(META_APP_SECRET, body)[len("sha256=") :],  # no prefix
        # the same JSON serialised again (as a framework that parsed it would): other bytes, another signature
        lambda body: hub_signature(META_APP_SECRET, json.dumps(json.loads(body), indent=1).encode()),
    ],
    ids=["missing", "empty", "empty-hex", "zeros", "sha1", "other-secret", "no-prefix", "re-serialised"],
)
def test_a_missing_wrong_or_re_serialised_signature_is_401_and_writes_nothing(api_function, pg, tenant, signature):
    body = body_of(META_TEXT, tenant)
    value = signature(body) if callable(signature) else signature
    headers = {} if value is None else {"x-hub-signature-256": value}

    answer = assert_refused(api_function, pg, tenant, post("/webhook/meta", raw=body, headers=headers))

    assert "X-Hub-Signature-256" in answer["message"] and META_APP_SECRET not in answer["message"]


def test_the_signature_is_checked_before_the_body_is_parsed(api_function, pg, tenant):
    # Not JSON at all: without a valid signature that is never looked at (401, not 400)
    assert_refused(api_function, pg, tenant, post("/webhook/meta", raw=b"{not json", headers={}))


def test_the_forged_sample_is_refused(api_function):
    assert invoke(api_function, load_event("webhook_meta_bad_signature.json"))[0] == 401


def test_without_an_app_secret_the_route_names_the_missing_setting(
    api_function, pg, tenant, monkeypatch, reset_settings
):
    monkeypatch.delenv("META_APP_SECRET")
    body = body_of(META_TEXT, tenant)

    status, answer = invoke(
        api_function,
        post("/webhook/meta", raw=body, headers={"x-hub-signature-256": hub_signature(META_APP_SECRET, body)}),
    )

    assert (status, answer["error"]) == (500, "configuration_error")
    assert "META_APP_SECRET" in answer["message"]
    assert counts(pg, tenant) == (0, 0, 0)


def verification(query: str) -> dict:
    return http_api_event("GET", "/webhook/meta", query, {}, b"")


def answer_of(api_function, event: dict) -> tuple[int, dict[str, str], bytes]:
    return decode_response(api_function.lambda_handler(event, LambdaContext(function_name="test")))


def test_the_verification_request_gets_its_challenge_back_as_text(api_function):
    status, headers, body = answer_of(
        api_function, verification(f"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={META_VERIFY_TOKEN}")
    )
    assert (status, body) == (200, b"1158201444")
    assert headers["Content-Type"].startswith("text/plain")


def test_the_verification_sample_is_answered(api_function):
    assert answer_of(api_function, load_event("webhook_meta_verify.json"))[::2] == (200, b"1158201444")


@pytest.mark.parametrize(
    "query",
    [
        "hub.mode=subscribe&hub.challenge=42&hub.verify_token=wrong",
        "hub.mode=subscribe&hub.challenge=42",
        f"hub.mode=unsubscribe&hub.challenge=42&hub.verify_token={META_VERIFY_TOKEN}",
        f"hub.challenge=42&hub.verify_token={META_VERIFY_TOKEN}",
        "",
    ],
    ids=["wrong-token", "no-token", "wrong-mode", "no-mode", "nothing"],
)
def test_the_verification_with_a_wrong_token_or_mode_is_403(api_function, query):
    status, body = invoke(api_function, verification(query))
    assert (status, body["error"]) == (403, "forbidden")
    assert "42" not in json.dumps(body)


# --- WAHA ----------------------------------------------------------------------------------------------------


@pytest.fixture
def waha_hmac_key(monkeypatch, reset_settings):
    monkeypatch.setenv("WAHA_HMAC_KEY", WAHA_HMAC_KEY)


def test_waha_with_an_hmac_key_accepts_its_sha512_hmac(api_function, pg, tenant, waha_hmac_key):
    body = body_of(WAHA_TEXT, tenant)
    headers = {"x-webhook-hmac": waha_hmac(WAHA_HMAC_KEY, body), "x-webhook-hmac-algorithm": "sha512"}

    status, answer = invoke(api_function, post("/webhook/waha", raw=body, headers=headers))

    assert (status, answer["status"]) == (200, "accepted")


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: {},
        lambda body: {"x-webhook-secret": SECRET},  # the shared secret no longer suffices once HMAC is on
        lambda body: {"x-webhook-hmac": waha_hmac("another-key", body), "x-webhook-hmac-algorithm": "sha512"},
        lambda body: {"x-webhook-hmac": waha_hmac(WAHA_HMAC_KEY, body), "x-webhook-hmac-algorithm": "sha256"},
        lambda body: {
            "x-webhook-hmac": waha_hmac(WAHA_HMAC_KEY, json.dumps(json.loads(body)).encode()),
            "x-webhook-hmac-algorithm": "sha512",
        },
    ],
    ids=["missing", "shared-secret-only", "other-key", "other-algorithm", "re-serialised"],
)
def test_waha_with_an_hmac_key_refuses_anything_else(api_function, pg, tenant, waha_hmac_key, headers):
    body = body_of(WAHA_TEXT, tenant)
    assert_refused(api_function, pg, tenant, post("/webhook/waha", raw=body, headers=headers(body)))


def test_waha_without_an_hmac_key_takes_the_shared_secret_header(api_function, pg, tenant):
    body = body_of(WAHA_TEXT, tenant)
    assert_refused(api_function, pg, tenant, post("/webhook/waha", raw=body, headers={"x-webhook-secret": "no"}))
    status, _ = invoke(api_function, post("/webhook/waha", raw=body, headers={"x-webhook-secret": SECRET}))
    assert status == 200


# --- GOWA ----------------------------------------------------------------------------------------------------


def test_gowa_with_a_webhook_secret_takes_only_its_signature(api_function, pg, tenant):
    body = body_of(GOWA_TEXT, tenant)
    for headers in (
        {},
        {"x-webhook-secret": SECRET},
        {"x-hub-signature-256": hub_signature("secret", body)},  # GOWA's default secret
    ):
        assert_refused(api_function, pg, tenant, post("/webhook/gowa", raw=body, headers=headers))
    signed = {"x-hub-signature-256": hub_signature(GOWA_SECRET, body)}
    assert invoke(api_function, post("/webhook/gowa", raw=body, headers=signed))[0] == 200


def test_gowa_without_a_webhook_secret_takes_the_shared_secret_header(
    api_function, pg, tenant, monkeypatch, reset_settings
):
    monkeypatch.delenv("GOWA_WEBHOOK_SECRET")
    body = body_of(GOWA_TEXT, tenant)
    signed = {"x-hub-signature-256": hub_signature(GOWA_SECRET, body)}
    assert_refused(api_function, pg, tenant, post("/webhook/gowa", raw=body, headers=signed))
    assert invoke(api_function, post("/webhook/gowa", raw=body, headers={"x-webhook-secret": SECRET}))[0] == 200


# --- Evolution API -------------------------------------------------------------------------------------------


def evolution_text(tenant: str) -> bytes:
    payload = json.loads(load_event("webhook_evolution_text.json")["body"])
    return json.dumps(as_tenant(payload, tenant)).encode()


@pytest.mark.parametrize(
    "path, headers, accepted",
    [
        ("/webhook/evolution", {"x-webhook-secret": SECRET}, True),
        ("/webhook/evolution/messages-upsert", {"x-webhook-secret": SECRET}, True),
        (f"/webhook/evolution/secret/{SECRET}", {}, True),
        (f"/webhook/evolution/secret/{SECRET}/messages-upsert", {}, True),
        ("/webhook/evolution", {}, False),
        ("/webhook/evolution", {"x-webhook-secret": "wrong"}, False),
        ("/webhook/evolution/messages-upsert", {}, False),
        ("/webhook/evolution/secret/wrong", {}, False),
        ("/webhook/evolution/secret/wrong/messages-upsert", {"x-webhook-secret": SECRET}, False),
    ],
)
def test_evolution_takes_the_secret_header_or_a_secret_path_segment(api_function, pg, tenant, path, headers, accepted):
    event = post(path, raw=evolution_text(tenant), headers=headers)
    if accepted:
        assert invoke(api_function, event)[0] == 200
        assert counts(pg, tenant) == (1, 1, 1)
    else:
        answer = assert_refused(api_function, pg, tenant, event)
        assert SECRET not in answer["message"]
