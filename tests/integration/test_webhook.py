"""POST /webhook and GET /health through the api function's handler, against a real Postgres."""

from __future__ import annotations

import base64

import pytest
from chatbatch.db import Database
from chatbatch.domain.messages import parse_webhook
from chatbatch.services.ingest import ingest_message

from tests.support import invoke, load_event, webhook_event
from tests.support.foundation import BUSINESS, CONTACT, counts, message, room


def test_a_message_lands_in_all_three_tables(api_function, pg, tenant):
    status, body = invoke(api_function, webhook_event(message(tenant, "m1", timestamp=1795694400)))

    assert status == 200 and body["status"] == "accepted"
    assert body["chat_id"] == f"{tenant}_{CONTACT}"
    assert counts(pg, tenant) == (1, 1, 1)
    r = room(pg, tenant)
    assert (r["contact_name"], r["chat_type"], r["last_message"], r["last_sender"], r["unread_count"]) == (
        "Budi",
        "individual",
        "Halo",
        "contact",
        1,
    )
    with pg.cursor() as cur:
        cur.execute(
            "SELECT sender_type, sender_jid, message_type, content, message_timestamp::text "
            "FROM chat_messages WHERE user_token = %s",
            (tenant,),
        )
        assert cur.fetchone() == ("contact", CONTACT, "text", "Halo", "2026-11-26 12:00:00+00")
        cur.execute("SELECT needs_reply, is_batched, chat_jid FROM ai_chat_messages WHERE session_tok = %s", (tenant,))
        assert cur.fetchone() == (True, False, CONTACT)


def test_a_retried_webhook_is_a_duplicate_and_changes_nothing(api_function, pg, tenant):
    invoke(api_function, webhook_event(message(tenant, "m1")))
    status, body = invoke(api_function, webhook_event(message(tenant, "m1", body="changed")))

    assert status == 200 and body["status"] == "duplicate"
    assert counts(pg, tenant) == (1, 1, 1)
    assert room(pg, tenant)["unread_count"] == 1
    assert room(pg, tenant)["last_message"] == "Halo"


def test_unread_counts_contact_messages_only_and_from_me_goes_to_the_recipients_room(api_function, pg, tenant):
    invoke(api_function, webhook_event(message(tenant, "m1", timestamp=1795694400)))
    invoke(api_function, webhook_event(message(tenant, "m2", body="Saya mau", timestamp=1795694401)))
    status, _ = invoke(
        api_function,
        webhook_event(
            {
                "sessionToken": tenant,
                "messageId": "m3",
                "from": BUSINESS,
                "to": CONTACT,
                "body": "Siap kak",
                "fromMe": True,
                "pushName": "Toko",
                "timestamp": 1795694402000,
            }
        ),
    )

    assert status == 200
    r = room(pg, tenant)
    assert (r["last_message"], r["last_sender"], r["unread_count"], r["contact_name"]) == (
        "Siap kak",
        "user",
        2,
        "Budi",
    )
    with pg.cursor() as cur:
        cur.execute(
            "SELECT sender_type, sender_jid FROM chat_messages WHERE user_token = %s AND message_id = 'm3'",
            (tenant,),
        )
        assert cur.fetchone() == ("user", BUSINESS)
        cur.execute("SELECT needs_reply FROM ai_chat_messages WHERE session_tok = %s AND message_id = 'm3'", (tenant,))
        assert cur.fetchone() == (False,)


def test_an_older_message_arriving_late_does_not_rewind_the_room(api_function, pg, tenant):
    invoke(api_function, webhook_event(message(tenant, "new", body="newest", timestamp=1795694500)))
    invoke(api_function, webhook_event(message(tenant, "old", body="older", timestamp=1795694400)))

    r = room(pg, tenant)
    assert r["last_message"] == "newest" and r["unread_count"] == 2


def test_contact_name_follows_the_latest_non_empty_push_name(api_function, pg, tenant):
    invoke(api_function, webhook_event(message(tenant, "m1", push_name="Budi")))
    invoke(api_function, webhook_event(message(tenant, "m2", push_name="")))
    assert room(pg, tenant)["contact_name"] == "Budi"
    invoke(api_function, webhook_event(message(tenant, "m3", push_name="Budi Santoso")))
    assert room(pg, tenant)["contact_name"] == "Budi Santoso"


def test_group_messages_are_history_but_not_pending_by_default(api_function, pg, tenant):
    group = "120363025246125486@g.us"
    invoke(
        api_function,
        webhook_event(message(tenant, "g1", **{"from": group, "participant": "628777@s.whatsapp.net"})),
    )

    r = room(pg, tenant, group)
    assert (r["chat_type"], r["is_group"], r["contact_name"]) == ("group", True, None)
    with pg.cursor() as cur:
        cur.execute("SELECT sender_jid FROM chat_messages WHERE user_token = %s", (tenant,))
        assert cur.fetchone() == ("628777@s.whatsapp.net",)
        cur.execute("SELECT needs_reply FROM ai_chat_messages WHERE session_tok = %s", (tenant,))
        assert cur.fetchone() == (False,)


def test_non_text_messages_keep_their_type_and_caption(api_function, pg, tenant):
    invoke(api_function, webhook_event(message(tenant, "i1", type="image", body="Yang ini ada?")))
    with pg.cursor() as cur:
        cur.execute("SELECT message_type, content FROM chat_messages WHERE user_token = %s", (tenant,))
        assert cur.fetchone() == ("image", "Yang ini ada?")


def test_base64_encoded_bodies_are_decoded(api_function, pg, tenant):
    event = webhook_event(message(tenant, "b64"))
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    assert invoke(api_function, event)[0] == 200
    assert counts(pg, tenant) == (1, 1, 1)


@pytest.mark.parametrize(
    "build, status, error",
    [
        (lambda s: webhook_event(message(s, "x"), secret=None), 401, "unauthorized"),
        (lambda s: webhook_event(message(s, "x"), secret="wrong"), 401, "unauthorized"),
        (lambda s: webhook_event(None, raw=b'{"session_token": '), 400, "bad_request"),
        (lambda s: webhook_event(None, raw=b""), 400, "bad_request"),
        (lambda s: webhook_event(None, raw=b"\xff\xfe{}"), 400, "bad_request"),
        (lambda s: webhook_event(message(s, "x", body="y" * 1_100_000)), 413, "payload_too_large"),
        (lambda s: webhook_event(message(s, "x", body="y" * 65_537)), 422, "invalid_fields"),
        (lambda s: webhook_event(message(s, "x", body="nul\x00byte")), 422, "invalid_fields"),
        (
            lambda s: webhook_event(
                None, raw=(f'{{"session_token":"{s}","message_id":"x","from":"a","to":"b","body":"\\ud83d"}}').encode()
            ),
            422,
            "invalid_fields",
        ),
        (lambda s: webhook_event({"session_token": s}), 422, "invalid_fields"),
        (lambda s: webhook_event([1, 2]), 422, "invalid_fields"),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(api_function, pg, tenant, build, status, error):
    got_status, body = invoke(api_function, build(tenant))

    assert (got_status, body["error"]) == (status, error)
    assert body["message"]
    assert counts(pg, tenant) == (0, 0, 0)


def test_missing_fields_are_named_in_the_answer(api_function, tenant):
    _, body = invoke(api_function, webhook_event({"session_token": tenant, "body": "x"}))
    assert {d["field"] for d in body["details"]} == {"message_id", "from", "to"}
    assert "message_id" in body["message"]


def test_health_answers_when_the_database_does(api_function):
    assert invoke(api_function, load_event("health.json")) == (200, {"status": "ok"})
    assert invoke(api_function, load_event("health_deep.json")) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    "sample", ["webhook_text.json", "webhook_from_me.json", "webhook_group.json", "webhook_image.json"]
)
def test_event_samples_are_accepted(api_function, sample):
    status, body = invoke(api_function, load_event(sample))
    assert status == 200 and body["status"] in ("accepted", "duplicate")


def test_bad_secret_sample_is_rejected(api_function):
    assert invoke(api_function, load_event("webhook_bad_secret.json"))[0] == 401


@pytest.mark.parametrize(
    "timestamp",
    [
        1795694400,
        1795694400000,
        "1795694400",
        "2026-11-26T19:00:00+07:00",
        "2026-11-26T12:00:00Z",
        "2026-11-26 12:00:00",
    ],
)
def test_every_timestamp_form_stores_the_same_moment_everywhere(api_function, pg, tenant, timestamp):
    # Given a gateway that sends the time as seconds, milliseconds, or ISO-8601 (with an offset, Z, or naive = UTC)
    # When the message arrives
    assert invoke(api_function, webhook_event(message(tenant, "t1", timestamp=timestamp)))[0] == 200

    # Then the history, the AI's working set and the room all hold 12:00 UTC
    with pg.cursor() as cur:
        cur.execute(
            "SELECT (SELECT message_timestamp FROM chat_messages WHERE user_token = %(s)s)::text,"
            "       (SELECT message_timestamp FROM ai_chat_messages WHERE session_tok = %(s)s)::text,"
            "       (SELECT last_activity FROM chat_rooms WHERE user_token = %(s)s)::text",
            {"s": tenant},
        )
        assert cur.fetchone() == ("2026-11-26 12:00:00+00",) * 3


def test_a_jid_with_an_underscore_is_rejected_so_chat_keys_of_two_tenants_never_collide(api_function, pg, tenant):
    # '<session>_<jid>' would be the same key for session "s" + JID "x_1@…" and session "s_x" + JID "1@…"
    status, body = invoke(api_function, webhook_event(message(tenant, "u1", **{"from": "x_6281@s.whatsapp.net"})))

    assert (status, body["error"]) == (422, "invalid_fields")
    assert [d["field"] for d in body["details"]] == ["from"]
    assert counts(pg, tenant) == (0, 0, 0)


def test_a_room_key_owned_by_another_tenant_is_never_moved(api_function, pg, tenant):
    victim_chat = f"{tenant}_{CONTACT}"
    with pg.cursor() as cur:  # a room of another tenant that (by a legacy row) carries this chat's key
        cur.execute(
            "INSERT INTO chat_rooms (chat_id, user_token, contact_jid, chat_type, last_message, last_activity)"
            " VALUES (%s, 'someone-else', %s, 'individual', 'theirs', now())",
            (victim_chat, CONTACT),
        )

    status, body = invoke(api_function, webhook_event(message(tenant, "m1")))

    assert (status, body["error"]) == (422, "invalid_fields")
    assert room(pg, tenant)["last_message"] == "theirs"
    assert counts(pg, tenant) == (0, 0, 0)


@pytest.mark.parametrize(
    "raw, status",
    [
        ('"timestamp": %s' % ("9" * 400), 422),  # a number no clock can hold
        ('"extra": %s' % ("9" * 5000), 400),  # over Python's integer-literal limit: not JSON we can read
    ],
)
def test_monstrous_numbers_are_client_errors_not_5xx(api_function, pg, tenant, raw, status):
    body = (
        f'{{"session_token": "{tenant}", "message_id": "n1", "from": "{CONTACT}", "to": "{BUSINESS}", {raw}}}'
    ).encode()

    assert invoke(api_function, webhook_event(None, raw=body))[0] == status
    assert counts(pg, tenant) == (0, 0, 0)


def test_a_timestamp_in_the_future_is_taken_as_now_so_it_cannot_pin_the_room(api_function, pg, tenant):
    invoke(api_function, webhook_event(message(tenant, "f1", body="from the future", timestamp=4_000_000_000)))
    invoke(api_function, webhook_event(message(tenant, "f2", body="real newest")))

    assert room(pg, tenant)["last_message"] == "real newest"
    with pg.cursor() as cur:
        cur.execute("SELECT bool_and(message_timestamp <= now()) FROM chat_messages WHERE user_token = %s", (tenant,))
        assert cur.fetchone() == (True,)


@pytest.mark.parametrize(
    ("environment", "own", "pending"), [(False, True, True), (True, False, False), (True, None, True)]
)
def test_a_group_message_waits_for_a_reply_by_the_tenants_own_groups_switch(
    database_url, pg, tenant, environment, own, pending
):
    # Given the environment's AI_REPLY_GROUPS and the tenant's own switch (None: it set none)
    with pg.cursor() as cur:
        cur.execute("INSERT INTO tenant_settings (session_tok, ai_reply_groups) VALUES (%s, %s)", (tenant, own))
    group = "120363025246125486@g.us"
    payload = message(tenant, "g1", **{"from": group, "participant": "628777@s.whatsapp.net"})

    # When a customer's group message arrives (and a business's own message in the group)
    db = Database(lambda: {"dsn": database_url})
    try:
        ingest_message(db, parse_webhook(payload), reply_groups=environment)
        own_message = message(tenant, "g2", **{"from": BUSINESS, "to": group, "from_me": True})
        ingest_message(db, parse_webhook(own_message), reply_groups=environment)
    finally:
        db.close()

    # Then only the customer's one waits for the bot, and only when the tenant's switch (else the environment's) is on
    with pg.cursor() as cur:
        cur.execute(
            "SELECT message_id, needs_reply FROM ai_chat_messages WHERE session_tok = %s ORDER BY id", (tenant,)
        )
        assert cur.fetchall() == [("g1", pending), ("g2", False)]
