"""Each gateway adapter against a real loopback server playing that gateway (chatbatch_local.fake_gateway): the
request is exactly the documented one, the id comes from the documented answer, failures say whether the message
may have gone out, and typing / read receipts use the documented endpoints."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.request

import pytest
from chatbatch.adapters.gateway import GatewayError, gateway_from_settings
from chatbatch.adapters.gateway_waha import sent_message_id
from chatbatch.errors import ConfigurationError
from chatbatch.settings import GatewaySettings
from chatbatch_local.fake_gateway import DROP, HANG, SentText, signature_headers, webhook_payload
from chatbatch_local.postgres import free_port

from tests.support.fake_gateways import META_VERSION, TOKENS, fake_gateway, gateway_url
from tests.support.gateways import fixture

CUSTOMER = "6281234567890@s.whatsapp.net"


def adapter(fake, **overrides):
    options = {"gateway": fake.kind, "gateway_url": gateway_url(fake), "gateway_token": TOKENS[fake.kind]}
    return gateway_from_settings(GatewaySettings(**(options | overrides)))


def post(fake, path: str, body: dict, headers: dict[str, str]) -> int:
    """A request to the fake gateway as any client would send it; its HTTP status."""
    request = urllib.request.Request(
        fake.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- sends, exactly as documented ----------------------------------------------------------------------------


def test_waha_sends_sendtext_with_the_api_key_to_the_session_and_chat_and_keeps_the_serialised_id():
    with fake_gateway("waha") as fake:
        sent = adapter(fake).send(tenant="toko-1", to=CUSTOMER, text="Halo kak")

    [request] = fake.requests
    assert (request.method, request.path, request.headers["X-Api-Key"]) == (
        "POST",
        "/api/sendText",
        "dev-gateway-token",
    )
    assert request.json == {"session": "toko-1", "chatId": "6281234567890@c.us", "text": "Halo kak"}
    assert request.json.keys() == fixture("waha/sendText_request.json").keys()  # the documented body, no more
    assert sent.message_id == fake.sent[0].message_id  # true_6281234567890@c.us_3EB0…, as message.any names it
    assert sent.message_id.startswith("true_6281234567890@c.us_3EB0")


def test_the_fake_waha_accepts_the_documented_bodies_and_refuses_others():
    with fake_gateway("waha") as fake:
        key = {"X-Api-Key": fake.token}
        assert post(fake, "/api/sendText", fixture("waha/sendText_request.json"), key) == 201
        assert post(fake, "/api/sendText", fixture("waha/sendText_request_with_mentions.json"), key) == 201
        assert post(fake, "/api/reply", fixture("waha/reply_request.json"), key) == 201
        assert post(fake, "/api/sendText", fixture("waha/sendText_request.json"), {"X-Api-Key": "wrong"}) == 401
        assert post(fake, "/api/sendText", {**fixture("waha/sendText_request.json"), "chat": "x"}, key) == 400
        assert (
            post(fake, "/api/sendText", {"session": "default", "chatId": "6281@s.whatsapp.net", "text": "x"}, key)
            == 400
        )

    assert [s.text for s in fake.sent] == ["Hi there!", "Hi there! @2132132130", "Reply text"]


def test_evolution_sends_the_v2_flat_body_to_the_instance_with_the_apikey_header():
    with fake_gateway("evolution") as fake:
        sent = adapter(fake).send(tenant="toko 1", to=CUSTOMER, text="Halo kak")
        group = adapter(fake).send(tenant="toko 1", to="120363025246125486@g.us", text="Halo semua")

    [request, to_group] = fake.requests
    assert (request.path, request.headers["Apikey"]) == ("/message/sendText/toko%201", "dev-gateway-token")
    assert request.json == {"number": "6281234567890", "text": "Halo kak"}
    assert to_group.json == {"number": "120363025246125486@g.us", "text": "Halo semua"}
    assert sent.message_id == fake.sent[0].message_id and sent.message_id.startswith("BAE5")  # key.id
    assert group.message_id == fake.sent[1].message_id


def test_the_fake_evolution_refuses_the_v1_body_as_v2_does_and_takes_the_v2_one():
    v1 = fixture("evolution-api/sendText_request_v1_postman_plain_text.json")
    with fake_gateway("evolution") as fake:
        key = {"apikey": fake.token}
        assert post(fake, "/message/sendText/toko", v1, key) == 400  # v2: "instance requires property text"
        v2 = {"number": "6281234567890", "text": v1["textMessage"]["text"]}  # the same message, v2's flat body
        assert post(fake, "/message/sendText/toko", v2, key) == 201
        assert post(fake, "/message/sendText/toko", v2, {"apikey": "wrong"}) == 401

    assert set(v1) - {"options", "textMessage"} == {"number"}  # v1 and v2 share only "number"
    assert [s.text for s in fake.sent] == [v1["textMessage"]["text"]]


def test_meta_posts_a_text_message_to_the_phone_number_id_with_the_bearer_token_and_our_reference():
    with fake_gateway("meta") as fake:
        gateway = adapter(fake)
        sent = gateway.send(tenant="1122334455667", to="6281234567890", text="Halo kak", reference="cb:7:1")
        gateway.send(tenant="1122334455667", to="US.13491208655302741918", text="Halo")

    [request, by_user_id] = fake.requests
    assert request.path == f"/{META_VERSION}/1122334455667/messages"
    assert request.headers["Authorization"] == "Bearer dev-gateway-token"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Halo kak"},
        "biz_opaque_callback_data": "cb:7:1",
    }
    assert by_user_id.json["recipient"] == "US.13491208655302741918" and "to" not in by_user_id.json
    assert sent.message_id == fake.sent[0].message_id and sent.message_id.startswith("wamid.")
    assert gateway.max_text_chars == 4096


def test_gowa_sends_with_basic_auth_and_the_device_id_of_the_tenant():
    with fake_gateway("gowa") as fake:
        sent = adapter(fake).send(tenant="toko-1", to="6281234567890@c.us", text="Halo kak")

    [request] = fake.requests
    assert request.path == "/send/message"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"dev:dev-gateway-token").decode()
    assert request.headers["X-Device-Id"] == "toko-1"
    assert request.json == {"phone": "6281234567890@s.whatsapp.net", "message": "Halo kak"}
    assert sent.message_id == fake.sent[0].message_id and sent.message_id.startswith("3EB0")  # results.message_id


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"id": {"fromMe": True, "_serialized": "true_6281@c.us_3EB0A1"}}, "true_6281@c.us_3EB0A1"),  # WEBJS
        ({"_data": {"id": {"_serialized": "true_6281@c.us_3EB0A2_out"}}}, "true_6281@c.us_3EB0A2_out"),  # WEBJS
        ({"id": "true_6281@c.us_3EB0A3"}, "true_6281@c.us_3EB0A3"),  # GOWS
        ({"key": {"remoteJid": "6281@s.whatsapp.net", "fromMe": True, "id": "BAE5A4"}}, "true_6281@c.us_BAE5A4"),
        ({"status": "PENDING"}, None),
        (None, None),
    ],
)
def test_the_id_in_a_waha_answer_of_each_engine(answer, expected):
    assert sent_message_id(answer) == expected


# --- failures: did the message possibly go out? ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["waha", "evolution", "meta", "gowa"])
def test_an_error_answer_is_a_refusal_but_no_answer_after_the_request_is_an_unknown_outcome(kind):
    with fake_gateway(kind, send_script=[503, 400, HANG, DROP], hang_seconds=1.0) as fake:
        gateway = adapter(fake, gateway_timeout_seconds=0.3)
        outcomes = []
        for _ in range(4):
            with pytest.raises(GatewayError) as raised:
                gateway.send(tenant="1122334455667", to=CUSTOMER, text="Halo")
            outcomes.append((raised.value.status, raised.value.outcome_unknown))

    assert outcomes == [(503, False), (400, False), (None, True), (None, True)]
    assert len(fake.sent) == 2  # the hung and the dropped send were accepted by the gateway


def test_a_gateway_that_cannot_be_reached_did_not_send():
    gateway = gateway_from_settings(
        GatewaySettings(gateway="waha", gateway_url=f"http://127.0.0.1:{free_port()}", gateway_token="k")
    )
    with pytest.raises(GatewayError) as raised:
        gateway.send(tenant="s", to=CUSTOMER, text="Halo")
    assert raised.value.outcome_unknown is False


# --- typing and read receipts ---------------------------------------------------------------------------------


def test_waha_marks_the_bubbles_seen_then_types_and_stops():
    with fake_gateway("waha") as fake:
        gateway = adapter(fake)
        gateway.mark_read_and_type(tenant="toko", chat=CUSTOMER, message_ids=["false_6281@c.us_A1", "B2"])
        gateway.stop_typing(tenant="toko", chat=CUSTOMER)

    assert [(r.path, r.json) for r in fake.requests] == [
        (
            "/api/sendSeen",
            {"session": "toko", "chatId": "6281234567890@c.us", "messageIds": ["false_6281@c.us_A1", "B2"]},
        ),
        ("/api/startTyping", {"session": "toko", "chatId": "6281234567890@c.us"}),
        ("/api/stopTyping", {"session": "toko", "chatId": "6281234567890@c.us"}),
    ]


def test_evolution_marks_read_and_sends_a_composing_presence():
    with fake_gateway("evolution", presence_hold_seconds=0) as fake:
        adapter(fake).mark_read_and_type(tenant="toko", chat=CUSTOMER, message_ids=["A1"])

    assert [(r.path, r.json) for r in fake.requests] == [
        ("/chat/markMessageAsRead/toko", {"readMessages": [{"remoteJid": CUSTOMER, "fromMe": False, "id": "A1"}]}),
        ("/chat/sendPresence/toko", {"number": "6281234567890", "presence": "composing", "delay": 8000}),
    ]


def test_meta_marks_the_newest_message_read_with_a_typing_indicator_in_one_call():
    with fake_gateway("meta") as fake:
        adapter(fake).mark_read_and_type(tenant="1122", chat="6281234567890", message_ids=["wamid.1", "wamid.2"])

    [request] = fake.requests
    assert (request.path, request.action) == (f"/{META_VERSION}/1122/messages", "typing")
    assert request.json == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.2",
        "typing_indicator": {"type": "text"},
    }


def test_gowa_reads_each_bubble_then_starts_and_stops_the_chat_presence():
    with fake_gateway("gowa") as fake:
        gateway = adapter(fake)
        gateway.mark_read_and_type(tenant="toko", chat=CUSTOMER, message_ids=["3EB0A", "3EB0B"])
        gateway.stop_typing(tenant="toko", chat=CUSTOMER)

    assert [(r.path, r.json) for r in fake.requests] == [
        ("/message/3EB0A/read", {"phone": CUSTOMER}),
        ("/message/3EB0B/read", {"phone": CUSTOMER}),
        ("/send/chat-presence", {"phone": CUSTOMER, "action": "start"}),
        ("/send/chat-presence", {"phone": CUSTOMER, "action": "stop"}),
    ]


# --- configuration --------------------------------------------------------------------------------------------


def test_a_real_gateway_needs_its_url_and_credential_and_gowa_a_user_and_password():
    with pytest.raises(ConfigurationError, match="GATEWAY_URL must be set when GATEWAY is waha"):
        gateway_from_settings(GatewaySettings(gateway="waha", gateway_token="k"))
    with pytest.raises(ConfigurationError, match="GATEWAY_TOKEN or GATEWAY_TOKEN_SECRET_ARN must be set"):
        gateway_from_settings(GatewaySettings(gateway="evolution", gateway_url="http://evo"))
    with pytest.raises(ConfigurationError, match="user:password"):
        gateway_from_settings(GatewaySettings(gateway="gowa", gateway_url="http://gowa", gateway_token="secret"))


def test_meta_defaults_to_the_graph_api_and_a_lower_text_limit_can_be_set():
    meta = gateway_from_settings(GatewaySettings(gateway="meta", gateway_token="t"))
    waha = gateway_from_settings(
        GatewaySettings(gateway="waha", gateway_url="http://w/", gateway_token="k", gateway_max_text_chars=1000)
    )

    assert meta.url.startswith("https://graph.facebook.com/v") and meta.max_text_chars == 4096
    assert (waha.url, waha.max_text_chars) == ("http://w", 1000)


# --- the loopback gateways' echoes are in each gateway's own webhook format ------------------------------------


def test_the_fake_gateways_echo_in_their_own_documented_webhook_formats():
    waha = webhook_payload(SentText("waha", "toko", "6281@c.us", "Halo", "true_6281@c.us_3EB0AA"))
    documented = fixture("waha/message_webjs_fromMe_text_full_data.json")["payload"]
    assert waha["event"] == "message.any" and waha["payload"]["fromMe"] is True and waha["payload"]["to"] == "6281@c.us"
    assert set(waha["payload"]) <= set(documented)

    gowa = webhook_payload(SentText("gowa", "toko", "6281@s.whatsapp.net", "Halo", "3EB0AA"))
    documented = fixture("go-whatsapp-web-multidevice/message_text.json")
    assert set(gowa) >= set(documented) and set(gowa["payload"]) <= set(documented["payload"]) | {"is_from_me"}
    assert gowa["payload"]["is_from_me"] is True and gowa["session_id"] == "toko"

    meta = webhook_payload(SentText("meta", "1122", "6281", "Halo", "wamid.A", "chatbatch:7:1"))
    documented = fixture("meta-cloud-api/pywa_message_status__sent.json")["entry"][0]["changes"][0]["value"]
    [status] = meta["entry"][0]["changes"][0]["value"]["statuses"]
    assert set(status) <= set(documented["statuses"][0]) | {"biz_opaque_callback_data"}
    assert (status["status"], status["biz_opaque_callback_data"]) == ("sent", "chatbatch:7:1")

    evolution = webhook_payload(SentText("evolution", "toko", "6281", "Halo", "BAE5AA"))
    assert evolution["event"] == "send.message" and evolution["data"]["key"] == {
        "remoteJid": "6281@s.whatsapp.net",
        "fromMe": True,
        "id": "BAE5AA",
    }


def test_gowa_echoes_are_signed_as_gowa_documents_and_waha_ones_with_an_hmac_key():
    body = b'{"event":"message"}'
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()  # GOWA's default webhook secret

    assert signature_headers("gowa", body, None) == {"X-Hub-Signature-256": f"sha256={expected}"}
    assert signature_headers("waha", body, None) == {}
    signed = signature_headers("waha", body, "key")
    assert signed["X-Webhook-Hmac"] == hmac.new(b"key", body, hashlib.sha512).hexdigest()
    assert signed["X-Webhook-Hmac-Algorithm"] == "sha512"
