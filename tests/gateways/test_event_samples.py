"""The gateways' events/ samples (sam local invoke uses them too): each has its exact outcome, as the test's own
tenant, through the api function's handler; and each is accepted as it is, with a valid signature.

The samples were written from the gateways' own docs and source where the published fixtures are thin; where
each comes from: docs/gateways.md.
"""

from __future__ import annotations

import pytest
from chatbatch_local.sign_event import expected_signature

from tests.conftest import REPO_ROOT
from tests.gateways.outcomes import Deleted, Ignored, Reacted, StatusChange, Stored, check
from tests.support import invoke, load_event
from tests.support.gateways import sample_request

CONTACT = "6281234567890@s.whatsapp.net"
BUSINESS = "6280000000000@s.whatsapp.net"
CONTACT_CUS, BUSINESS_CUS = "6281234567890@c.us", "6280000000000@c.us"
GROUP = "120363025246125486@g.us"
MONAS = "Monas, Gambir, Jakarta Pusat (-6.175392, 106.827153)"
DAY = "2026-11-26T12:"

CASES = {
    # --- WAHA ---------------------------------------------------------------------------------------------
    "webhook_waha_message.json": Stored(
        "false_6281234567890@c.us_3EB0A0B1C2D3E4F5A6B7",
        CONTACT_CUS,
        CONTACT_CUS,
        "text",
        "Halo, masih ada stok?",
        DAY + "00:00",
        name="Budi",
    ),
    "webhook_waha_from_me.json": Stored(
        "true_6281234567890@c.us_3EB0F1E2D3C4B5A69788",
        CONTACT_CUS,
        BUSINESS_CUS,
        "text",
        "Ada kak, saya bantu ya",
        DAY + "01:00",
        from_me=True,
    ),
    "webhook_waha_voice.json": Stored(
        "false_6281234567890@c.us_3A9F2C4E6B8D0A1C3E5F", CONTACT_CUS, CONTACT_CUS, "voice", "", DAY + "00:05", "Budi"
    ),
    "webhook_waha_location.json": Stored(
        "false_6281234567890@c.us_3EB0B1B2B3B4B5B6B7B8",
        CONTACT_CUS,
        CONTACT_CUS,
        "location",
        MONAS,
        DAY + "00:10",
        "Budi",
    ),
    "webhook_waha_contact.json": Stored(
        "false_6281234567890@c.us_3EB0C1C2C3C4C5C6C7C8",
        CONTACT_CUS,
        CONTACT_CUS,
        "contact",
        "Siti Rahma",
        DAY + "00:15",
        "Budi",
    ),
    "webhook_waha_group.json": Stored(
        "false_120363025246125486@g.us_3EB0D1D2D3D4D5D6D7D8_6281234567890@c.us",
        GROUP,
        CONTACT_CUS,
        "text",
        "Kak, pesanan grup kami?",
        DAY + "00:20",
        group=True,
    ),
    # revokedMessageId names the message without its chat: the history has it as false_<chat>_<id>.
    "webhook_waha_revoked.json": Deleted("false_6281234567890@c.us_3EB0A0B1C2D3E4F5A6B7", chat=CONTACT_CUS),
    # --- Evolution API ------------------------------------------------------------------------------------
    "webhook_evolution_text.json": Stored(
        "3EB0C5A1B2C3D4E5F601", CONTACT, CONTACT, "text", "Halo, masih ada stok?", DAY + "00:00", "Budi"
    ),
    "webhook_evolution_image.json": Stored(
        "3EB0C5A1B2C3D4E5F602",
        CONTACT,
        CONTACT,
        "image",
        "Yang ini ada?",
        DAY + "00:30",
        "Budi",
        reply_to="BAE5F0A1B2C3D4E5",
    ),
    "webhook_evolution_voice.json": Stored(
        "3EB0C5A1B2C3D4E5F603", CONTACT, CONTACT, "voice", "", DAY + "00:40", "Budi"
    ),
    "webhook_evolution_document.json": Stored(
        "3EB0C5A1B2C3D4E5F604", CONTACT, CONTACT, "document", "katalog.pdf", DAY + "00:50", "Budi"
    ),
    "webhook_evolution_video.json": Stored(
        "3EB0C5A1B2C3D4E5F605", CONTACT, CONTACT, "video", "Barangnya begini", DAY + "01:00", "Budi"
    ),
    "webhook_evolution_sticker.json": Stored(
        "3EB0C5A1B2C3D4E5F606", CONTACT, CONTACT, "sticker", "", DAY + "01:10", "Budi"
    ),
    "webhook_evolution_location.json": Stored(
        "3EB0C5A1B2C3D4E5F607", CONTACT, CONTACT, "location", MONAS, DAY + "01:20", "Budi"
    ),
    "webhook_evolution_contact.json": Stored(
        "3EB0C5A1B2C3D4E5F608", CONTACT, CONTACT, "contact", "Siti Rahma", DAY + "01:30", "Budi"
    ),
    "webhook_evolution_reaction.json": Reacted("BAE5F0A1B2C3D4E5", CONTACT, CONTACT, "👍"),
    "webhook_evolution_from_me.json": Stored(
        "3EB0F7A1B2C3D4E5F610", CONTACT, BUSINESS, "text", "Saya cek dulu ya kak", DAY + "01:50", from_me=True
    ),
    # No bot reply was sent in this chat: a message sent through Evolution's API by someone else is a human's.
    "webhook_evolution_send_message.json": Stored(
        "BAE5F0A1B2C3D4E5", CONTACT, BUSINESS, "text", "Ada kak, stok masih 3.", DAY + "00:20", from_me=True
    ),
    "webhook_evolution_update.json": StatusChange("BAE5F0A1B2C3D4E5", "read"),
    "webhook_evolution_delete.json": Deleted("3EB0C5A1B2C3D4E5F601"),
    "webhook_evolution_group.json": Stored(
        "3EB0C5A1B2C3D4E5F611", GROUP, CONTACT, "text", "Kak, pesanan grup kami?", DAY + "02:00", group=True
    ),
    "webhook_evolution_connection_update.json": Ignored("connection.update"),
    "webhook_evolution_by_event.json": Stored(
        "3EB0C5A1B2C3D4E5F612", CONTACT, CONTACT, "text", "Bisa kirim hari ini?", DAY + "02:10", "Budi"
    ),
    "webhook_evolution_global.json": Stored(
        "3EB0C5A1B2C3D4E5F613", CONTACT, CONTACT, "text", "Terima kasih!", DAY + "02:20", "Budi"
    ),
    # --- WhatsApp Cloud API ------------------------------------------------------------------------------
    "webhook_meta_text.json": Stored(
        "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBBMUIyQzNENEU1RjZBN0I4QzkA",
        "6281234567890",
        "6281234567890",
        "text",
        "Halo, masih ada stok?",
        DAY + "00:00",
        "Budi",
    ),
    # A user with a username and no number shown: the chat is keyed by the business-scoped user id.
    "webhook_meta_bsuid.json": Stored(
        "wamid.HBgUSUQuMzMxOTg3MjA0NTU2MTg3MxUCABIYFjNFQjBGMUYyRjNGNEY1RjZGN0Y4RjkA",
        "ID.3319872045561873",
        "ID.3319872045561873",
        "text",
        "Halo, saya pakai username",
        DAY + "00:06",
        "Rina",
    ),
    "webhook_meta_sticker.json": Stored(
        "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjAxMDIwMzA0MDUwNjA3MDgwOQA=",
        "6281234567890",
        "6281234567890",
        "sticker",
        "",
        DAY + "00:07",
        "Budi",
    ),
    "webhook_meta_contacts.json": Stored(
        "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjAxMTEyMTMxNDE1MTYxNzE4MQA=",
        "6281234567890",
        "6281234567890",
        "contact",
        "Siti Rahma",
        DAY + "00:08",
        "Budi",
    ),
    "webhook_meta_unsupported.json": Ignored("message unsupported"),
    # --- go-whatsapp-web-multidevice --------------------------------------------------------------------
    "webhook_gowa_text.json": Stored(
        "3EB0A9B8C7D6E5F4A3B2", CONTACT, CONTACT, "text", "Halo, masih ada stok?", DAY + "00:00", "Budi"
    ),
    "webhook_gowa_from_me.json": Stored(
        "3EB0F0E1D2C3B4A59687", CONTACT, BUSINESS, "text", "Ada kak, stok masih 3.", DAY + "01:00", from_me=True
    ),
    "webhook_gowa_group.json": Stored(
        "3EB0A1A2A3A4A5A6A7A8", GROUP, CONTACT, "text", "Kak, pesanan grup kami?", DAY + "00:05", group=True
    ),
    "webhook_gowa_document.json": Stored(
        "3EB0C127D7BACC83D6A6", CONTACT, CONTACT, "document", "report.pdf", DAY + "00:10", "Budi"
    ),
    "webhook_gowa_video.json": Stored(
        "3EB0C127D7BACC83D6A4", CONTACT, CONTACT, "video", "Watch this!", DAY + "00:20", "Budi"
    ),
    "webhook_gowa_sticker.json": Stored(
        "446AC2BAF2061B53E24CA526DBDFBD4E", CONTACT, CONTACT, "sticker", "", DAY + "00:30", "Budi"
    ),
    "webhook_gowa_location.json": Stored(
        "3EB0C127D7BACC83D6A9",
        CONTACT,
        CONTACT,
        "location",
        "Jakarta, Indonesia, Central Jakarta, DKI Jakarta, Indonesia (-6.2088, 106.8456)",
        DAY + "00:40",
        "Budi",
    ),
    "webhook_gowa_contact.json": Stored(
        "56B3DFF4994284634E7AAFEEF6F1A0A2", CONTACT, CONTACT, "contact", "3Care", DAY + "00:50", "Budi"
    ),
    "webhook_gowa_revoked.json": Deleted("3EB0A9B8C7D6E5F4A3B2"),
    "webhook_gowa_deleted.json": Deleted("3EB0F0E1D2C3B4A59687"),
    "webhook_gowa_presence.json": Ignored("chat_presence"),
    # The tenant is the session in the URL (/webhook/gowa/<session>): the payload names none.
    "webhook_gowa_session.json": Stored(
        "3EB0B9A8B7B6B5B4B3B2", CONTACT, CONTACT, "text", "Pesan lewat URL sesi", DAY + "01:40", "Budi"
    ),
}
# Samples whose outcome has its own test: a batched delivery, the verification GET, a forged signature.
ELSEWHERE = {
    "webhook_meta_batch.json": "test_gateway_events.py",
    "webhook_meta_verify.json": "test_authentication.py",
    "webhook_meta_bad_signature.json": "test_authentication.py",
}
GATEWAY_SAMPLES = sorted(
    p.name
    for p in (REPO_ROOT / "events").glob("webhook_*.json")
    if p.name.split("_")[1] in ("waha", "evolution", "meta", "gowa")
)


def test_every_gateway_sample_has_an_outcome_here_or_its_own_test():
    assert set(GATEWAY_SAMPLES) == set(CASES) | set(ELSEWHERE)


@pytest.mark.parametrize("sample", sorted(CASES))
def test_every_gateway_sample_has_its_exact_outcome(api_function, pg, tenant, sample):
    check(api_function, pg, tenant, lambda: sample_request(sample, tenant), CASES[sample])


SIGNED = [s for s in GATEWAY_SAMPLES if expected_signature(load_event(s)) and s != "webhook_meta_bad_signature.json"]


@pytest.mark.parametrize("sample", SIGNED)
def test_a_signed_sample_carries_the_signature_of_its_own_body(sample):
    event = load_event(sample)
    signature = expected_signature(event)
    assert event["headers"][signature[0]] == signature[1], (
        f"re-sign it: python -m chatbatch_local.sign_event events/{sample}"
    )


@pytest.mark.parametrize("sample", sorted(CASES))
def test_every_sample_is_answered_200_as_it_is(api_function, sample):
    status, body = invoke(api_function, load_event(sample))
    assert status == 200, body
    assert body["status"] in ("accepted", "duplicate", "updated", "unchanged", "ignored")
