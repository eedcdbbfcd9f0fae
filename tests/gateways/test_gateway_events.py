"""What the gateways' events do beyond one fixture: receipts only move forward, find the message whatever form of its
id the gateway uses, and wait for a message not stored yet; reactions keep the newest, a batched Cloud API delivery
loses nothing to one bad item, a sender that is no WhatsApp address is refused on every route, and the gateways'
own messages go through the echo / takeover rules."""

from __future__ import annotations

import copy
import json
import threading

import psycopg2
import pytest
from chatbatch.adapters.gateway_waha import WahaGateway, sent_message_id
from chatbatch.db import Database, transaction_time
from chatbatch.domain.sending import message_key
from chatbatch.services import api_tokens, console, receipts
from chatbatch.services.api_tokens import Tenant
from chatbatch.services.bot_messages import save_bot_message

from tests.support import invoke, webhook_event
from tests.support.dev_stack import wait_for
from tests.support.fake_gateways import TOKENS, fake_gateway
from tests.support.foundation import counts, message
from tests.support.gateways import (
    as_tenant,
    fixture,
    gateway_request,
    history,
    needs_reply,
    reactions,
    sample_payload,
    sample_request,
    seed_sent,
)
from tests.support.history import history_request

CONTACT = "6281234567890@s.whatsapp.net"


def meta_status(status: str, message_id: str, *, title: str | None = None) -> dict:
    payload = fixture(
        "meta-cloud-api/pywa_message_status__failed.json" if title else "meta-cloud-api/pywa_message_status__read.json"
    )
    item = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    item.update(status=status, id=message_id)
    if title:
        item["errors"][0]["title"] = title
    return payload


def post_meta(api_function, tenant: str, payload: dict) -> dict:
    status, body = invoke(api_function, gateway_request("meta", as_tenant(payload, tenant)))
    assert status == 200, body
    return body


# --- receipts ------------------------------------------------------------------------------------------------


def test_a_delivery_status_only_moves_forward(api_function, pg, tenant):
    # Given a reply the business sent
    seed_sent(pg, tenant, "wamid.R1")
    steps = [
        ("delivered", "updated", "delivered"),
        ("delivered", "unchanged", "delivered"),  # Meta retried the receipt
        ("read", "updated", "read"),
        ("delivered", "unchanged", "read"),  # late: never backwards
        ("sent", "unchanged", "read"),
        ("failed", "unchanged", "read"),  # a message the customer read did not fail
    ]
    for receipt, answer, stored in steps:
        # When the gateway reports it; Then the status is where the newest fact puts it
        assert post_meta(api_function, tenant, meta_status(receipt, "wamid.R1"))["status"] == answer, receipt
        assert history(pg, tenant, "wamid.R1")["status"] == stored, receipt


def test_a_failed_message_keeps_metas_error_title_and_stays_failed(api_function, pg, tenant):
    seed_sent(pg, tenant, "wamid.F1")

    post_meta(api_function, tenant, meta_status("failed", "wamid.F1", title="Re-engagement message"))
    post_meta(api_function, tenant, meta_status("delivered", "wamid.F1"))

    row = history(pg, tenant, "wamid.F1")
    assert (row["status"], row["status_error"]) == ("failed", "Re-engagement message")


def test_a_receipt_never_touches_a_customers_message(api_function, pg, tenant):
    invoke(api_function, webhook_event(message(tenant, "true_6281234567890@c.us_AAAA")))
    ack = as_tenant(fixture("waha/message_ack_read.json"), tenant)
    ack["payload"]["id"] = "true_6281234567890@c.us_AAAA"

    status, body = invoke(api_function, gateway_request("waha", ack))

    assert (status, body["status"]) == (200, "unchanged")
    assert history(pg, tenant, "true_6281234567890@c.us_AAAA")["status"] == "received"


def test_a_receipt_naming_several_messages_moves_each(api_function, pg, tenant):
    seed_sent(pg, tenant, "3EB0A1")
    seed_sent(pg, tenant, "3EB0A2")
    ack = fixture("go-whatsapp-web-multidevice/message_ack_read_group.json")
    ack["payload"]["ids"] = ["3EB0A1", "3EB0A2"]

    status, body = invoke(api_function, gateway_request("gowa", as_tenant(ack, tenant)))

    assert (status, body["status"]) == (200, "updated")
    assert [history(pg, tenant, i)["status"] for i in ("3EB0A1", "3EB0A2")] == ["read", "read"]


WAHA_KEY = "4CC5EDD64BC22EBA6D639F2AF571346C"


def ack(name: str, message_id: str) -> tuple[str, dict]:
    """A gateway's published receipt (tests/fixtures, or Evolution's events/ sample) naming ``message_id``."""
    if name.startswith("evolution"):
        _, payload = sample_payload("webhook_evolution_update.json")
        payload["data"]["keyId"] = message_id
        return "evolution", payload
    payload = fixture(name)
    if name.startswith("meta"):
        payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = message_id
        return "meta", payload
    if name.startswith("go-whatsapp"):
        payload["payload"]["ids"] = [message_id]
        return "gowa", payload
    return "waha", payload  # WAHA's acks keep their published id: the history holds another form of it


@pytest.mark.parametrize(
    "receipt, stored_as, status",
    [
        # WEBJS answers a send with the id's `_out` form; its receipt names the message without it
        (
            "waha/message_ack_read.json",
            sent_message_id({"_data": {"id": {"_serialized": f"true_11111111111@c.us_{WAHA_KEY}_out"}}}),
            "read",
        ),
        # NOWEB answers with the bare key of a group message; its receipt appends the reader
        (
            "waha/message_ack_group.json",
            sent_message_id({"key": {"remoteJid": "11111111111@g.us", "fromMe": True, "id": WAHA_KEY}}),
            "read",
        ),
        ("evolution/messages.update", "BAE5F0A1B2C3D4E5", "read"),  # key.id of sendText's answer = keyId
        ("meta-cloud-api/pywa_message_status__delivered.json", "wamid.HBgLMTIzNDU2Nzg5MDEVAgARGBI5", "delivered"),
        ("go-whatsapp-web-multidevice/message_ack_delivered_group.json", "3EB00106E8BE0F407E88EC", "delivered"),
    ],
)
def test_a_receipt_finds_the_bots_message_in_whatever_form_the_send_answer_named_it(
    api_function, pg, tenant, receipt, stored_as, status
):
    # Given the bot's reply, stored under the id the gateway's send answer gave (the outbound adapter's reading)
    seed_sent(pg, tenant, stored_as)
    gateway, payload = ack(receipt, stored_as)

    # When the gateway's own receipt of it arrives
    answer = invoke(api_function, gateway_request(gateway, as_tenant(payload, tenant)))[1]

    # Then it is that message's status that moves
    assert answer["status"] == "updated"
    assert history(pg, tenant, stored_as)["status"] == status


def held(pg, tenant: str) -> list[tuple]:
    with pg.cursor() as cur:
        cur.execute("SELECT message_key, status FROM held_receipts WHERE user_token = %s", (tenant,))
        return cur.fetchall()


def store_bot_message(database_url: str, tenant: str, message_id: str) -> None:
    """The worker records a part it sent (services.bot_messages, as services.reply does)."""
    db = Database(lambda: {"dsn": database_url})
    try:
        db.transaction(
            lambda cur: save_bot_message(
                cur,
                tenant=tenant,
                chat_jid=CONTACT,
                business_jid="6280000000000@s.whatsapp.net",
                message_id=message_id,
                text="Ada kak",
                at=transaction_time(cur),
            )
        )
    finally:
        db.close()


def test_a_receipt_that_comes_before_its_message_waits_for_it_and_never_moves_it_backwards(
    api_function, pg, tenant, database_url
):
    # Meta reports the reply read, then (late) delivered, before the worker recorded it
    assert post_meta(api_function, tenant, meta_status("read", "wamid.EARLY"))["status"] == "held"
    assert post_meta(api_function, tenant, meta_status("delivered", "wamid.EARLY"))["status"] == "held"
    assert held(pg, tenant) == [("wamid.EARLY", "read")]
    assert counts(pg, tenant) == (0, 0, 0)  # a receipt makes no message or room

    store_bot_message(database_url, tenant, "wamid.EARLY")

    assert history(pg, tenant, "wamid.EARLY")["status"] == "read"
    assert held(pg, tenant) == []


def test_a_failure_that_comes_before_its_message_lands_with_its_reason(api_function, pg, tenant, database_url):
    post_meta(api_function, tenant, meta_status("failed", "wamid.LOST", title="Re-engagement message"))

    store_bot_message(database_url, tenant, "wamid.LOST")

    row = history(pg, tenant, "wamid.LOST")
    assert (row["status"], row["status_error"]) == ("failed", "Re-engagement message")


def test_a_sent_receipt_for_a_message_not_stored_is_not_held(api_function, pg, tenant):
    # every message the business sends is stored as sent: there is nothing to wait for
    assert post_meta(api_function, tenant, meta_status("sent", "wamid.UNKNOWN"))["status"] == "unchanged"
    assert held(pg, tenant) == []


def test_a_receipt_racing_the_worker_waits_for_its_commit_instead_of_being_held(api_function, pg, tenant, database_url):
    # Given the worker storing the reply part, its transaction not committed yet
    worker = psycopg2.connect(database_url)
    cur = worker.cursor()
    receipts.storing_message(cur, tenant=tenant, message_id="wamid.RACE")
    answers = []
    receipt = threading.Thread(
        target=lambda: answers.append(post_meta(api_function, tenant, meta_status("read", "wamid.RACE")))
    )
    # When the receipt arrives meanwhile
    receipt.start()
    wait_for(lambda: lock_waiters(pg) > 0, timeout=10, what="the receipt to wait for the worker")
    save_bot_message(
        cur,
        tenant=tenant,
        chat_jid=CONTACT,
        business_jid="6280000000000@s.whatsapp.net",
        message_id="wamid.RACE",
        text="Ada kak",
        at=transaction_time(cur),
    )
    worker.commit()
    worker.close()
    receipt.join(10)

    # Then it applies to the stored message (nothing held, nothing lost)
    assert answers[0]["status"] == "updated"
    assert history(pg, tenant, "wamid.RACE")["status"] == "read" and held(pg, tenant) == []


def lock_waiters(pg) -> int:
    with pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cur.fetchone()[0]


def test_a_receipt_of_a_staff_reply_that_comes_before_the_send_answered_lands_on_it(
    api_function, pg, tenant, database_url
):
    # Given a customer's WAHA chat; WAHA echoes a staff reply and reports it read before it answers the send
    customer = as_tenant(fixture("waha/message_media_image_with_caption.json"), tenant)
    invoke(api_function, gateway_request("waha", customer))
    with pg.cursor() as cur:
        cur.execute("SELECT id FROM chat_rooms WHERE user_token = %s", (tenant,))
        (room_id,) = cur.fetchone()

    def report(sent):
        read = as_tenant(fixture("waha/message_ack_read.json"), tenant)
        read["payload"]["id"] = sent.message_id
        assert invoke(api_function, gateway_request("waha", read))[1]["status"] == "held"

    db = Database(lambda: {"dsn": database_url})
    with fake_gateway("waha", echo=report) as fake:
        gateway = WahaGateway(url=fake.url, token=TOKENS["waha"], timeout=5)
        # When an operator replies from the console
        reply = console.send_staff_reply(db, gateway, Tenant(tenant, 1), room_id=room_id, text="Baik kak")
    db.close()

    # Then the reply is in the history with the gateway's id, read
    assert reply["message_id"] == fake.sent[0].message_id
    assert history(pg, tenant, fake.sent[0].message_id)["status"] == "read"


# --- reactions and deletions ---------------------------------------------------------------------------------


def gowa_reaction(tenant: str, emoji: str, at: str) -> dict:
    payload = as_tenant(fixture("go-whatsapp-web-multidevice/message_reaction.json"), tenant)
    payload["payload"].update(reaction=emoji, timestamp=at, id=f"react-{at}")
    return payload


def test_the_newest_reaction_of_a_person_wins_and_a_late_older_one_changes_nothing(api_function, pg, tenant):
    sequence = [
        ("👍", "2026-11-26T12:00:01Z", "updated", "👍"),
        ("❤️", "2026-11-26T12:00:03Z", "updated", "❤️"),
        ("😮", "2026-11-26T12:00:02Z", "unchanged", "❤️"),  # arrived late: older than the heart
        ("❤️", "2026-11-26T12:00:03Z", "unchanged", "❤️"),  # a retried webhook
        ("", "2026-11-26T12:00:04Z", "updated", ""),  # taken back
    ]
    for emoji, at, answer, kept in sequence:
        status, body = invoke(api_function, gateway_request("gowa", gowa_reaction(tenant, emoji, at)))
        assert (status, body["status"]) == (200, answer), (emoji, at)
        assert [r[4] for r in reactions(pg, tenant)] == [kept]
    assert counts(pg, tenant) == (0, 0, 0)  # no message, room, unread or job


def test_a_deletion_of_a_message_not_in_the_history_changes_nothing(api_function, pg, tenant):
    status, body = invoke(api_function, sample_request("webhook_waha_revoked.json", tenant))
    assert (status, body["status"], body["results"][0]["event"]) == (200, "unchanged", "revocation")
    assert counts(pg, tenant) == (0, 0, 0)


def test_the_history_api_shows_the_quote_the_reactions_and_the_deletion(api_function, pg, tenant, database_url):
    from chatbatch.db import Database, connect_params_from_settings
    from chatbatch.settings import CommonSettings

    # Given a customer's image quoting the bot's reply, reactions to it, and the customer deleting it
    for sample in ("webhook_evolution_image.json", "webhook_evolution_reaction.json"):
        invoke(api_function, sample_request(sample, tenant))
    route, reaction = sample_payload("webhook_evolution_reaction.json")
    reaction["data"]["message"]["reactionMessage"]["key"]["id"] = "3EB0C5A1B2C3D4E5F602"  # to the image
    invoke(api_function, gateway_request("evolution", as_tenant(reaction, tenant), path=route))
    _, deletion = sample_payload("webhook_evolution_delete.json")
    deletion["data"]["id"] = "3EB0C5A1B2C3D4E5F602"
    invoke(api_function, gateway_request("evolution", as_tenant(deletion, tenant)))
    db = Database(connect_params_from_settings(CommonSettings(database_url=database_url)))
    token = api_tokens.create_token(db, tenant, label="tests").token
    db.close()
    with pg.cursor() as cur:
        cur.execute("SELECT id FROM chat_rooms WHERE user_token = %s", (tenant,))
        (room_id,) = cur.fetchone()

    # When the dashboard reads the room
    status, body = invoke(api_function, history_request("GET", f"/chat-rooms/{room_id}/messages", token=token))

    # Then the image carries its quote, its one reaction and its deletion
    assert status == 200
    (image,) = body["items"]
    assert image["reply_to_message_id"] == "BAE5F0A1B2C3D4E5"
    assert image["reactions"] == [{"emoji": "👍", "sender_jid": CONTACT, "from_me": False}]
    assert image["deleted_at"] is not None and image["content"] == "Yang ini ada?"


# --- the Cloud API's batched deliveries ----------------------------------------------------------------------


def test_every_item_of_a_batched_delivery_is_applied_on_its_own_and_a_bad_one_loses_nothing(api_function, pg, tenant):
    _, delivery = sample_payload("webhook_meta_batch.json")
    seed_sent(pg, tenant, "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ0RkM1QzMyN0U2QjM4NkFCMgA=")

    first = post_meta(api_function, tenant, delivery)
    again = post_meta(api_function, tenant, delivery)  # Meta delivers again

    assert first["status"] == "processed"
    assert [(r["event"], r["status"]) for r in first["results"]] == [
        ("message", "accepted"),
        ("message", "rejected"),
        ("message", "accepted"),
        ("receipt", "updated"),
        ("message", "accepted"),
    ]
    assert "entry[0].changes[0].value.messages[1].from" in first["results"][1]["detail"]
    assert [r["status"] for r in again["results"]] == ["duplicate", "rejected", "duplicate", "unchanged", "duplicate"]
    assert counts(pg, tenant) == (3, 2 + 1, 3 + 1)  # 3 messages in 2 chats, beside the seeded reply's room
    assert history(pg, tenant, "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ0RkM1QzMyN0U2QjM4NkFCMgA=")["status"] == (
        "delivered"
    )


def test_a_delivery_that_is_not_a_whatsapp_business_account_is_ignored(api_function, pg, tenant):
    body = post_meta(api_function, tenant, {"object": "page", "entry": []})
    assert (body["status"], body["results"][0]["event"]) == ("ignored", "page")


# --- a sender must be a WhatsApp address ---------------------------------------------------------------------


def not_an_address(gateway: str, tenant: str) -> tuple[dict, str]:
    """A customer's message from ``not-a-jid`` as ``gateway`` posts it, and the field a 422 must name."""
    if gateway == "flat":
        return webhook_event(message(tenant, "m1", **{"from": "not-a-jid"})), "from"
    if gateway == "waha":
        payload = as_tenant(fixture("waha/message_media_image_with_caption.json"), tenant)
        payload["payload"]["from"] = "not-a-jid"
        return gateway_request("waha", payload), "payload.from"
    if gateway == "evolution":
        _, payload = sample_payload("webhook_evolution_text.json")
        payload["data"]["key"]["remoteJid"] = "not-a-jid"
        return gateway_request("evolution", as_tenant(payload, tenant)), "data.key.remoteJid"
    payload = as_tenant(fixture("go-whatsapp-web-multidevice/message_text.json"), tenant)
    payload["payload"]["from"] = "not-a-jid"
    return gateway_request("gowa", payload), "payload.from"


@pytest.mark.parametrize("gateway", ["flat", "waha", "evolution", "gowa"])
def test_a_sender_that_is_not_a_whatsapp_address_is_422_naming_the_field(api_function, pg, tenant, gateway):
    event, field = not_an_address(gateway, tenant)

    status, body = invoke(api_function, event)

    assert (status, body["error"]) == (422, "invalid_fields")
    assert field in {d["field"] for d in body["details"]} and field in body["message"]
    assert counts(pg, tenant) == (0, 0, 0)


def test_the_cloud_api_names_the_bad_sender_but_answers_200_so_meta_does_not_retry_for_days(api_function, pg, tenant):
    payload = copy.deepcopy(fixture("meta-cloud-api/pywa_message__text.json"))
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = "not-a-jid"

    body = post_meta(api_function, tenant, payload)

    assert body["status"] == "rejected"
    assert "entry[0].changes[0].value.messages[0].from" in body["results"][0]["detail"]
    assert counts(pg, tenant) == (0, 0, 0)


# --- the gateways' own messages: echo or takeover ------------------------------------------------------------


def given_a_bot_reply(pg, tenant: str, text: str, message_id: str) -> int:
    """The bot replied in the chat moments ago (its job and its one part as the worker leaves them once sent)."""
    with pg.cursor() as cur:
        cur.execute(
            "INSERT INTO ai_jobs (session_tok, chat_jid, status, batched_msg_ids, batch_size, reply,"
            " reply_message_id, sending_at, reply_sent_at) VALUES (%s, %s, 'done', '{0}', 1, %s, %s, now(), now())"
            " RETURNING id",
            (tenant, CONTACT, text, message_id),
        )
        job_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO reply_parts (job_id, position, session_tok, chat_jid, text, status, handovers, sending_at,"
            " sent_at, message_id, message_key) VALUES (%s, 1, %s, %s, %s, 'sent', 1, now(), now(), %s, %s)",
            (job_id, tenant, CONTACT, text, message_id, message_key(message_id)),
        )
        return job_id


def human_active(pg, tenant: str) -> bool:
    with pg.cursor() as cur:
        cur.execute("SELECT human_active_at IS NOT NULL FROM chat_rooms WHERE user_token = %s", (tenant,))
        row = cur.fetchone()
    return bool(row and row[0])


def test_evolutions_echo_of_the_bots_reply_is_recognised_by_its_id_and_is_no_takeover(api_function, pg, tenant):
    job = given_a_bot_reply(pg, tenant, "Ada kak, stok masih 3.", "BAE5F0A1B2C3D4E5")

    status, body = invoke(api_function, sample_request("webhook_evolution_send_message.json", tenant))

    assert (status, body["status"]) == (200, "accepted")
    assert history(pg, tenant, "BAE5F0A1B2C3D4E5") == {}  # the worker keeps the reply in the history itself
    assert not human_active(pg, tenant)
    with pg.cursor() as cur:
        cur.execute("SELECT echo_ids FROM reply_parts WHERE job_id = %s", (job,))
        assert cur.fetchone() == (["BAE5F0A1B2C3D4E5"],)


def test_wahas_echo_under_another_id_is_recognised_by_its_text(api_function, pg, tenant):
    given_a_bot_reply(pg, tenant, "Ada kak, saya bantu ya", "true_6281234567890@c.us_FROM_THE_SEND_API")
    route, payload = sample_payload("webhook_waha_from_me.json")
    payload["payload"].update(to=CONTACT, timestamp=None)  # the bot's chat; arriving now

    status, _ = invoke(api_function, gateway_request("waha", as_tenant(payload, tenant), path=route))

    assert status == 200
    assert history(pg, tenant, payload["payload"]["id"]) == {}
    assert not human_active(pg, tenant)


@pytest.mark.parametrize(
    "sample", ["webhook_waha_from_me.json", "webhook_evolution_from_me.json", "webhook_gowa_from_me.json"]
)
def test_a_human_writing_from_the_business_phone_takes_the_chat_over(api_function, pg, tenant, sample):
    status, body = invoke(api_function, sample_request(sample, tenant))

    assert (status, body["status"]) == (200, "accepted")
    assert human_active(pg, tenant)
    message_id = body["results"][0]["message_id"]
    assert history(pg, tenant, message_id)["sender_type"] == "user"
    assert needs_reply(pg, tenant, message_id) is False


def test_a_gateways_retried_message_is_a_duplicate(api_function, pg, tenant):
    first = invoke(api_function, sample_request("webhook_gowa_text.json", tenant))[1]
    again = invoke(api_function, sample_request("webhook_gowa_text.json", tenant))[1]
    assert (first["status"], again["status"]) == ("accepted", "duplicate")
    assert counts(pg, tenant) == (1, 1, 1)
    assert json.dumps(again["results"][0]["chat_id"]).count(tenant) == 1


# --- events chatbatch does not know ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gateway, payload",
    [
        ("waha", {"event": "something.new", "session": "T", "payload": {"id": 1}}),
        ("evolution", {"event": "SOMETHING_NEW", "instance": "T", "data": {"weird": True}}),
        ("gowa", {"event": "something.new", "session_id": "T", "payload": {"id": 1}}),
        ("meta", {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "something_new"}]}]}),
    ],
)
def test_an_event_type_nobody_knows_yet_is_answered_200_ignored_and_writes_nothing(
    api_function, pg, tenant, gateway, payload
):
    status, body = invoke(api_function, gateway_request(gateway, as_tenant(payload, tenant)))

    assert (status, body["status"], body["results"][0]["status"]) == (200, "ignored", "ignored")
    assert counts(pg, tenant) == (0, 0, 0)
