"""Every published inbound payload of the four gateways (tests/fixtures, see SOURCES.md) posted to its route
through the api function's handler, against the real Postgres, with its exact outcome.

Each case runs as the test's own tenant: the payload's session / instance / phone_number_id / session_id is
replaced, nothing else. The outbound request bodies in the same folders (what a gateway's send API takes) are
the outbound adapters' fixtures and are not posted here.

Where a fixture and its gateway's current docs or source disagree, the current ones win (noted per case).
"""

from __future__ import annotations

import pytest

from tests.gateways.outcomes import Deleted, Ignored, Reacted, StatusChange, Stored, post_and_check
from tests.support.gateways import fixture

WAHA_CONTACT = "11111111111@c.us"
META_CONTACT = "972987654321"
GOWA_CONTACT = "628123456789@s.whatsapp.net"

CASES = {
    # --- WAHA (route /webhook/waha) ------------------------------------------------------------------------
    # The docs' minimal "group" sample names no group: payload.from is a person, so it is a 1:1 chat with them.
    "waha/message_group_text.json": Stored(
        "123@g.us", "999@c.us", "999@c.us", "text", "How are you all?! ❤️", "2024-07-12T09:28:31"
    ),
    "waha/message_media_document_pdf.json": Stored(
        "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        WAHA_CONTACT,
        WAHA_CONTACT,
        "document",
        "some-file.pdf",  # no caption: the file's name is what a person reads
        "2022-11-04T11:31:25",
    ),
    "waha/message_media_image_no_caption.json": Stored(
        "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        WAHA_CONTACT,
        WAHA_CONTACT,
        "image",
        "",
        "2022-11-04T11:31:25",
    ),
    "waha/message_media_image_with_caption.json": Stored(
        "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        WAHA_CONTACT,
        WAHA_CONTACT,
        "image",
        "Check this out (caption for the media)!",
        "2022-11-04T11:31:25",
    ),
    "waha/message_replyTo_quoted_media.json": Stored(
        "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        WAHA_CONTACT,
        WAHA_CONTACT,
        "text",
        "Yes!",
        "2022-11-04T11:31:25",
        reply_to="false_22222222@c.us_AAAAAAAAAAAAAAAAAAA",
    ),
    # fromMe: a human on the business side wrote (a takeover); the chat is payload.to.
    "waha/message_webjs_fromMe_text_full_data.json": Stored(
        "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        WAHA_CONTACT,
        WAHA_CONTACT,
        "text",
        "Hi there!",
        "2022-11-04T11:31:25",
        from_me=True,
    ),
    "waha/message_reaction.json": Reacted(
        "true_79111111@c.us_11111111111111111111111111111111", "79111111@c.us", "79111111@c.us", "🙏"
    ),
    "waha/message_ack_read.json": StatusChange("true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C", "read"),
    # A group receipt names the message with the reader (participant) appended; the send answer did not.
    "waha/message_ack_group.json": StatusChange(
        "true_11111111111@g.us_4CC5EDD64BC22EBA6D639F2AF571346C_9999@lid",
        "read",
        chat="11111111111@g.us",
        stored_as="true_11111111111@g.us_4CC5EDD64BC22EBA6D639F2AF571346C",
    ),
    # The docs' old sample: no revokedMessageId (current docs), so payload.before.id names the message.
    "waha/message_revoked.json": Deleted("some-id-here"),
    "waha/session_status_working.json": Ignored("session.status"),
    # Skeletons of the docs (an empty payload): no message at all, so nothing to refuse either (a 4xx would make
    # WAHA retry it); a payload with a message in it and invalid fields is a 422 (test_gateway_events.py).
    "waha/message_any_skeleton.json": Ignored("message.any"),
    "waha/webhook_envelope_example.json": Ignored("message"),
    # --- WhatsApp Cloud API (route /webhook/meta) -----------------------------------------------------------
    "meta-cloud-api/pywa_message__text.json": Stored(
        "wamid.xyzxyz", META_CONTACT, META_CONTACT, "text", "Body Text", "2023-10-11T16:53:43", name="Test Name"
    ),
    "meta-cloud-api/pywa_message__image.json": Stored(
        "wamid.xyzxyz", META_CONTACT, META_CONTACT, "image", "", "2023-10-11T16:56:19", name="Test Name"
    ),
    "meta-cloud-api/pywa_message__media_with_url.json": Stored(
        "wamid.xyzxyz", META_CONTACT, META_CONTACT, "image", "", "2023-10-11T16:56:19", name="Test Name"
    ),
    "meta-cloud-api/pywa_message__video.json": Stored(
        "wamid.xyzxyz", META_CONTACT, META_CONTACT, "video", "caption", "2023-10-11T17:12:42", name="Test Name"
    ),
    "meta-cloud-api/pywa_message__document.json": Stored(
        "wamid.xyzxyz", META_CONTACT, META_CONTACT, "document", "caption", "2023-10-11T17:01:06", name="Test Name"
    ),
    "meta-cloud-api/pywa_message__audio.json": Stored(
        "wamid.xyzxyz", META_CONTACT, META_CONTACT, "audio", "", "2023-10-11T16:58:29", name="Test Name"
    ),
    "meta-cloud-api/pywa_message__voice.json": Stored(
        "wamid.xyzxyz", META_CONTACT, META_CONTACT, "voice", "", "2023-10-11T16:57:53", name="Test Name"
    ),
    "meta-cloud-api/pywa_message__current_location.json": Stored(
        "wamid.xyzxyz",
        META_CONTACT,
        META_CONTACT,
        "location",
        "(12.25089, 43.90539)",
        "2023-10-11T17:15:57",
        name="Test Name",
    ),
    "meta-cloud-api/pywa_message__reply.json": Stored(
        "wamid.xyzxyz",
        META_CONTACT,
        META_CONTACT,
        "text",
        "replied text",
        "2023-10-11T17:19:06",
        name="Test Name",
        reply_to="wamid.xyzxyz==",
    ),
    "meta-cloud-api/pywa_message__reaction.json": Reacted("wamid.yzxyzx=", META_CONTACT, META_CONTACT, "😮"),
    "meta-cloud-api/pywa_callback_button__button.json": Stored(
        "wamid.xyzxyz",
        META_CONTACT,
        META_CONTACT,
        "interactive",
        "title",
        "2023-10-25T20:45:30",
        name="Test Name",
        reply_to="wamid.xyzxyz",  # the message whose button was tapped
    ),
    "meta-cloud-api/pywa_callback_button__quick_reply.json": Stored(
        "wamid.xsidjw",
        META_CONTACT,
        META_CONTACT,
        "button",
        "title",
        "2023-10-25T21:23:47",
        name="Test Name",
        reply_to="wamid.xyzxyz==",
    ),
    "meta-cloud-api/pywa_callback_selection__callback.json": Stored(
        "wamid.zyzxyz",
        META_CONTACT,
        META_CONTACT,
        "interactive",
        "title",
        "2023-10-25T20:48:25",
        name="Test Name",
        reply_to="wamid.xyzxyz",
    ),
    "meta-cloud-api/pywa_callback_selection__description.json": Stored(
        "wamid.zyzxyz",
        META_CONTACT,
        META_CONTACT,
        "interactive",
        "title\ndescription",
        "2023-10-25T20:48:25",
        name="Test Name",
        reply_to="wamid.xyzxyz",
    ),
    "meta-cloud-api/pywa_message_status__sent.json": StatusChange("wamid.xyzxyz", "sent"),
    "meta-cloud-api/pywa_message_status__delivered.json": StatusChange("wamid.xyzxyz", "delivered"),
    "meta-cloud-api/pywa_message_status__read.json": StatusChange("wamid.xyzxyz", "read"),
    "meta-cloud-api/pywa_message_status__failed.json": StatusChange(
        "wamid.xyzxyz", "failed", error="User's number is part of an experiment"
    ),
    "meta-cloud-api/pywa_message_status__group.json": StatusChange("<WHATSAPP_MESSAGE_ID>", "read"),
    # --- go-whatsapp-web-multidevice (route /webhook/gowa) --------------------------------------------------
    # The docs' samples put the device's own JID in chat_id; the source sets the chat there, which for a
    # customer's 1:1 message is its sender: the chat is the sender.
    "go-whatsapp-web-multidevice/message_text.json": Stored(
        "3EB0C127D7BACC83D6A1",
        GOWA_CONTACT,
        GOWA_CONTACT,
        "text",
        "Hello, how are you?",
        "2023-10-15T10:30:00",
        name="John Doe",
    ),
    "go-whatsapp-web-multidevice/message_reply.json": Stored(
        "3EB0C127D7BACC83D6A2",
        GOWA_CONTACT,
        GOWA_CONTACT,
        "text",
        "I'm doing great, thanks!",
        "2023-10-15T10:35:00",
        name="John Doe",
        reply_to="3EB0C127D7BACC83D6A1",
    ),
    "go-whatsapp-web-multidevice/message_image_caption_autodownload_enabled.json": Stored(
        "3EB0C127D7BACC83D6A3",
        GOWA_CONTACT,
        GOWA_CONTACT,
        "image",
        "Check this out!",
        "2025-07-13T11:05:51",
        name="John Doe",
    ),
    "go-whatsapp-web-multidevice/message_image_caption_autodownload_disabled.json": Stored(
        "3EB0C127D7BACC83D6A3",
        GOWA_CONTACT,
        GOWA_CONTACT,
        "image",
        "Check this out!",
        "2025-07-13T11:05:51",
        name="John Doe",
    ),
    "go-whatsapp-web-multidevice/message_audio.json": Stored(
        "3EB0C127D7BACC83D6A5", GOWA_CONTACT, GOWA_CONTACT, "audio", "", "2023-10-15T10:55:00", name="John Doe"
    ),
    "go-whatsapp-web-multidevice/message_reaction.json": Reacted(
        "3EB0C127D7BACC83D6A1", GOWA_CONTACT, GOWA_CONTACT, "👍"
    ),
    "go-whatsapp-web-multidevice/message_ack_delivered_group.json": StatusChange(
        "3EB00106E8BE0F407E88EC", "delivered", chat="120363402106@g.us"
    ),
    "go-whatsapp-web-multidevice/message_ack_read_group.json": StatusChange(
        "3EB00106E8BE0F407E88EC", "read", chat="120363402106@g.us"
    ),
}
GATEWAY_OF_DIR = {"waha": "waha", "meta-cloud-api": "meta", "go-whatsapp-web-multidevice": "gowa"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_inbound_fixture_has_its_exact_outcome(api_function, pg, tenant, name):
    post_and_check(api_function, pg, tenant, GATEWAY_OF_DIR[name.split("/")[0]], fixture(name), CASES[name])
