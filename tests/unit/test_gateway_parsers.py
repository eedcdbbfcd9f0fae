"""The gateways' parsers, without a database: what each event shape becomes."""

from __future__ import annotations

import pytest
from chatbatch.domain.delivery import DeliveryStatus
from chatbatch.domain.inbound import baileys, evolution, gowa, meta, waha
from chatbatch.domain.inbound.content import location_text, media_type, vcard_name
from chatbatch.domain.inbound.events import Ignored, Reaction, Receipt, Rejected, Revocation
from chatbatch.domain.messages import IncomingMessage
from chatbatch.errors import InvalidFields

CONTACT = "6281234567890@s.whatsapp.net"


# --- the message proto (Evolution, WAHA NOWEB) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "message, kind, message_type, text",
    [
        ({"conversation": "Halo"}, "message", "text", "Halo"),
        ({"extendedTextMessage": {"text": "Halo"}}, "message", "text", "Halo"),
        ({"ephemeralMessage": {"message": {"imageMessage": {"caption": "yang ini"}}}}, "message", "image", "yang ini"),
        ({"viewOnceMessageV2": {"message": {"videoMessage": {}}}}, "message", "video", ""),
        ({"audioMessage": {"ptt": True}}, "message", "voice", ""),
        ({"audioMessage": {"ptt": False}}, "message", "audio", ""),
        (
            {"documentWithCaptionMessage": {"message": {"documentMessage": {"fileName": "a.pdf", "caption": "cap"}}}},
            "message",
            "document",
            "cap",
        ),
        ({"documentMessage": {"fileName": "a.pdf"}}, "message", "document", "a.pdf"),
        ({"stickerMessage": {}}, "message", "sticker", ""),
        ({"liveLocationMessage": {"degreesLatitude": 1.5, "degreesLongitude": 2}}, "message", "location", "(1.5, 2)"),
        (
            {"contactsArrayMessage": {"contacts": [{"displayName": "A"}, {"vcard": "BEGIN:VCARD\nFN:B\nEND:VCARD"}]}},
            "message",
            "contact",
            "A, B",
        ),
        ({"buttonsResponseMessage": {"selectedDisplayText": "Ya"}}, "message", "interactive", "Ya"),
        (
            {"listResponseMessage": {"title": "Paket A", "description": "2 kg"}},
            "message",
            "interactive",
            "Paket A\n2 kg",
        ),
        ({"pollCreationMessageV3": {"name": "Kapan?"}}, "message", "poll", "Kapan?"),
        ({"editedMessage": {"message": {}}}, "other", "edit", ""),
        ({"protocolMessage": {"type": "EPHEMERAL_SETTING"}}, "other", "protocol", ""),
        ({"messageContextInfo": {}}, "other", "empty", ""),
        ({"senderKeyDistributionMessage": {}, "callLogMesssage": {}}, "other", "callLogMesssage", ""),
    ],
)
def test_the_content_of_a_message_object(message, kind, message_type, text):
    content = baileys.read({**message, "messageContextInfo": {"deviceListMetadataVersion": 2}})
    assert (content.kind, content.message_type, content.text) == (kind, message_type, text)


def test_a_quote_reaction_and_revoke_name_their_message():
    quoted = baileys.read({"extendedTextMessage": {"text": "ok", "contextInfo": {"stanzaId": "Q1"}}})
    assert quoted.quoted_id == "Q1"
    reaction = baileys.read({"reactionMessage": {"key": {"id": "M1"}, "text": ""}})
    assert (reaction.kind, reaction.target_id, reaction.emoji) == ("reaction", "M1", "")
    for revoke_type in ("REVOKE", 0):
        revoke = baileys.read({"protocolMessage": {"type": revoke_type, "key": {"id": "M2"}}})
        assert (revoke.kind, revoke.target_id) == ("revoke", "M2")


def test_what_every_gateway_shares():
    assert [media_type(m) for m in ("image/jpeg", "image/webp", "video/mp4", "audio/ogg", "application/pdf", None)] == [
        "image",
        "sticker",
        "video",
        "audio",
        "document",
        "document",
    ]
    assert location_text(-6.2, 106.8, "Monas", " ", None) == "Monas (-6.2, 106.8)"
    assert location_text(None, None) == ""
    assert vcard_name("BEGIN:VCARD\r\nN:;Siti;;;\r\nFN;CHARSET=UTF-8:Siti Rahma\r\nEND:VCARD") == "Siti Rahma"


# --- WAHA ----------------------------------------------------------------------------------------------------


def waha_message(payload: dict, event: str = "message", **envelope) -> IncomingMessage:
    (event,) = waha.parse(
        {"event": event, "session": "s1", "me": {"id": "628000@c.us"}, "payload": payload, **envelope}
    )
    return event


def test_waha_takes_the_business_number_from_me_and_the_chat_of_an_own_message_from_to():
    incoming = waha_message({"id": "m1", "from": "628111@c.us", "body": "hi"})
    own = waha_message({"id": "m2", "from": "628000@c.us", "to": "628111@c.us", "fromMe": True, "body": "ok"})
    assert (incoming.chat_jid, incoming.to_jid, incoming.sender_type) == ("628111@c.us", "628000@c.us", "contact")
    assert (own.chat_jid, own.from_jid, own.sender_type) == ("628111@c.us", "628000@c.us", "user")


@pytest.mark.parametrize(
    "payload, message_type",
    [
        ({"hasMedia": True, "media": {"mimetype": "audio/ogg"}, "_data": {"type": "ptt"}}, "voice"),
        ({"hasMedia": True, "media": None, "_data": {"Info": {"MediaType": "ptt"}}}, "voice"),  # GOWS, not downloaded
        ({"hasMedia": True, "_data": {"message": {"stickerMessage": {}}}}, "sticker"),  # NOWEB
        ({"hasMedia": True, "media": {"mimetype": "video/mp4"}}, "video"),
        ({"body": "hi", "_data": {"message": {"conversation": "hi"}}}, "text"),
    ],
)
def test_waha_refines_the_type_by_its_engines_data(payload, message_type):
    assert waha_message({"id": "m1", "from": "628111@c.us", **payload}).message_type == message_type


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "m1", "from": "628111@c.us", "_data": {"type": "e2e_notification"}},
        {"id": "m1", "from": "628111@c.us", "_data": {"message": {"reactionMessage": {"key": {"id": "x"}}}}},
        {"id": "m1", "from": "status@broadcast", "body": "my status"},
        {"id": "m1", "from": "120363123456789@newsletter", "body": "a channel post"},
    ],
    ids=["webjs-notice", "noweb-reaction-in-message", "status", "channel"],
)
def test_waha_notices_statuses_and_channel_posts_are_no_messages(payload):
    assert isinstance(waha_message(payload, "message.any"), Ignored)


def test_waha_revoked_names_every_form_the_message_may_be_stored_under():
    (revocation,) = waha.parse(
        {
            "event": "message.revoked",
            "session": "s1",
            "payload": {
                "after": {"id": "false_1203@g.us_REV_628111@c.us", "from": "1203@g.us", "participant": "628111@c.us"},
                "revokedMessageId": "AAAA",
                "before": None,
            },
        }
    )
    assert isinstance(revocation, Revocation)
    assert "false_1203@g.us_AAAA_628111@c.us" in revocation.message_ids
    assert "true_1203@g.us_AAAA" in revocation.message_ids and revocation.message_ids[0] == "AAAA"


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"id": "m1", "ack": 2}, DeliveryStatus.DELIVERED),
        ({"id": "m1", "ackName": "READ"}, DeliveryStatus.READ),
        ({"id": "m1", "ack": 4, "ackName": "PLAYED"}, DeliveryStatus.READ),
        ({"id": "m1", "ack": -1}, DeliveryStatus.FAILED),
        ({"id": "m1", "ack": 0, "ackName": "PENDING"}, None),
    ],
)
def test_waha_acks(payload, status):
    (event,) = waha.parse({"event": "message.ack", "session": "s1", "payload": payload})
    assert (event.status if isinstance(event, Receipt) else None) == status


def test_waha_names_the_bad_fields_of_a_message():
    with pytest.raises(InvalidFields) as caught:
        waha.parse({"event": "message", "session": " s1", "payload": {"id": 5, "from": "me", "timestamp": "soon"}})
    assert {d["field"] for d in caught.value.details} == {"session", "payload.id", "payload.from", "payload.timestamp"}


@pytest.mark.parametrize("document", [[], {"session": "s1"}, {"event": 3}])
def test_a_body_that_is_no_event_is_invalid(document):
    with pytest.raises(InvalidFields):
        waha.parse(document)


# --- Evolution API -------------------------------------------------------------------------------------------


def upsert(message: dict, **key) -> dict:
    return {"key": {"remoteJid": CONTACT, "fromMe": False, "id": "E1", **key}, "message": message, "pushName": "B"}


def test_evolution_spells_an_event_any_way_and_takes_the_paths_name_when_the_body_has_none():
    assert {evolution.event_key(n) for n in ("messages.upsert", "MESSAGES_UPSERT", "messages-upsert")} == {
        "messages-upsert"
    }
    (message,) = evolution.parse(
        {"instance": "i1", "sender": "628000@s.whatsapp.net", "data": upsert({"conversation": "hi"})},
        path_event="messages-upsert",
    )
    assert isinstance(message, IncomingMessage) and message.body == "hi" and message.to_jid == "628000@s.whatsapp.net"


def test_evolution_upserts_may_come_as_a_list_and_may_be_reactions_or_revokes():
    events = evolution.parse(
        {
            "event": "messages.upsert",
            "instance": "i1",
            "data": [
                upsert({"reactionMessage": {"key": {"id": "E0"}, "text": "👍"}}),
                upsert({"protocolMessage": {"type": "REVOKE", "key": {"id": "E0"}}}),
                upsert({"conversation": "hi"}, remoteJid="status@broadcast"),
                upsert({"editedMessage": {}}),
            ],
        }
    )
    assert [type(e) for e in events] == [Reaction, Revocation, Ignored, Ignored]
    assert (events[0].message_id, events[0].sender_jid, events[1].message_ids) == ("E0", CONTACT, ("E0",))


def test_an_evolution_group_message_is_the_groups_and_its_sender_the_participant():
    (message,) = evolution.parse(
        {
            "event": "messages.upsert",
            "instance": "i1",
            "data": upsert({"conversation": "hi"}, remoteJid="1203@g.us", participant=CONTACT),
        }
    )
    assert (message.chat_jid, message.sender_jid, message.is_group, message.contact_name) == (
        "1203@g.us",
        CONTACT,
        True,
        None,
    )


@pytest.mark.parametrize(
    "data, status",
    [
        ({"keyId": "E1", "status": "DELIVERY_ACK"}, DeliveryStatus.DELIVERED),
        ({"keyId": "E1", "status": "SERVER_ACK"}, DeliveryStatus.SENT),
        ({"keyId": "E1", "status": "ERROR"}, DeliveryStatus.FAILED),
        ({"key": {"id": "E1"}, "update": {"status": 4}}, DeliveryStatus.READ),  # Baileys' own shape
        ({"keyId": "E1", "status": "PENDING"}, None),
        ({"keyId": "E1", "status": "DELETED", "pollUpdates": []}, None),
    ],
)
def test_evolution_receipts(data, status):
    (event,) = evolution.parse({"event": "messages.update", "instance": "i1", "data": data})
    assert (event.status if isinstance(event, Receipt) else None) == status


@pytest.mark.parametrize(
    "data", [{"remoteJid": CONTACT, "id": "E1"}, {"id": "cuid-of-evolutions-db", "key": {"id": "E1"}}]
)
def test_evolution_deletions_name_the_whatsapp_id(data):
    (event,) = evolution.parse({"event": "messages.delete", "instance": "i1", "data": data})
    assert event.message_ids == ("E1",)


# --- the Cloud API -------------------------------------------------------------------------------------------


def cloud(value: dict, field: str = "messages") -> list:
    return meta.parse(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": field, "value": value}]}]}
    )


VALUE = {"metadata": {"display_phone_number": "6280000000000", "phone_number_id": "pn1"}}


def test_a_bsuid_user_is_a_chat_keyed_by_the_id_and_named_by_its_contact():
    (message,) = cloud(
        {
            **VALUE,
            "contacts": [
                {"profile": {"name": "Other"}, "wa_id": "6289"},
                {"profile": {"name": "Rina", "username": "@rina"}, "user_id": "ID.33198"},
            ],
            "messages": [{"from_user_id": "ID.33198", "id": "w1", "timestamp": "1795694400", "type": "text"}],
        }
    )
    assert (message.chat_jid, message.sender_jid, message.contact_name) == ("ID.33198", "ID.33198", "Rina")


@pytest.mark.parametrize(
    "message, event",
    [
        ({"type": "system", "system": {"body": "changed number"}}, "message system"),
        ({"type": "request_welcome"}, "message request_welcome"),
        ({"type": "text", "group_id": "G1", "text": {"body": "hi"}}, "group message"),
    ],
)
def test_cloud_notices_and_group_messages_are_ignored(message, event):
    (ignored,) = cloud({**VALUE, "messages": [{"from": "6281", "id": "w1", **message}]})
    assert isinstance(ignored, Ignored) and ignored.event_type == event


def test_a_change_without_a_tenant_rejects_its_items_and_other_fields_are_ignored():
    (rejected,) = cloud({"messages": [{"from": "6281234567", "id": "w1", "type": "text"}]})
    assert isinstance(rejected, Rejected)
    assert rejected.error.details[0]["field"] == "entry[0].changes[0].value.metadata.phone_number_id"
    (ignored,) = cloud({"anything": 1}, field="account_update")
    assert (type(ignored), ignored.event_type) == (Ignored, "account_update")


def test_a_failed_status_keeps_its_first_errors_title_and_unknown_statuses_are_ignored():
    events = cloud(
        {
            **VALUE,
            "statuses": [
                {"id": "w1", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]},
                {"id": "w2", "status": "failed"},
                {"id": "w3", "status": "deleted"},
            ],
        }
    )
    assert [(type(e).__name__, getattr(e, "error", None)) for e in events] == [
        ("Receipt", "Re-engagement message"),
        ("Receipt", "failed (no reason given)"),
        ("Ignored", None),
    ]


# --- GOWA ----------------------------------------------------------------------------------------------------


def test_gowas_tenant_is_the_url_session_then_session_id_then_device_id():
    document = {
        "event": "message.ack",
        "device_id": "628000@s.whatsapp.net",
        "payload": {"ids": ["m1"], "receipt_type": "read"},
    }
    assert gowa.parse(document)[0].tenant == "628000@s.whatsapp.net"
    assert gowa.parse({**document, "session_id": "org_2"})[0].tenant == "org_2"
    assert gowa.parse({**document, "session_id": "org_2"}, session="shop")[0].tenant == "shop"


def test_gowas_own_message_belongs_to_its_chat_and_a_group_message_to_the_group():
    own, group = (
        gowa.parse({"event": "message", "device_id": "628000@s.whatsapp.net", "payload": p})[0]
        for p in (
            {"id": "m1", "chat_id": CONTACT, "from": "628000@s.whatsapp.net", "is_from_me": True, "body": "ok"},
            {"id": "m2", "chat_id": "1203@g.us", "from": CONTACT, "body": "hi"},
        )
    )
    assert (own.chat_jid, own.from_me, own.to_jid) == (CONTACT, True, CONTACT)
    assert (group.chat_jid, group.sender_jid, group.is_group) == ("1203@g.us", CONTACT, True)


@pytest.mark.parametrize(
    "receipt_type, status",
    [("delivered", DeliveryStatus.DELIVERED), ("played", DeliveryStatus.READ), ("server-error", DeliveryStatus.FAILED)],
)
def test_gowa_receipts(receipt_type, status):
    (event,) = gowa.parse(
        {"event": "message.ack", "device_id": "d", "payload": {"ids": ["m1", "m2"], "receipt_type": receipt_type}}
    )
    assert (event.status, event.message_ids) == (status, ("m1", "m2"))


@pytest.mark.parametrize("receipt_type", ["read-self", "sender", "retry", None])
def test_gowa_receipts_about_our_own_devices_are_ignored(receipt_type):
    (event,) = gowa.parse(
        {"event": "message.ack", "device_id": "d", "payload": {"ids": ["m1"], "receipt_type": receipt_type}}
    )
    assert isinstance(event, Ignored)


def test_a_push_name_or_quote_that_breaks_the_rules_is_left_out_rather_than_losing_the_message():
    message = waha_message(
        {"id": "m1", "from": "628111@c.us", "body": "hi", "_data": {"notifyName": "x" * 300}, "replyTo": {"id": " "}}
    )
    assert (message.body, message.push_name, message.reply_to_message_id) == ("hi", None, None)
