"""End to end through `make dev` (a real `chatbatch dev` process: api, sweeper, worker, local SQS) with each real
gateway selected and a loopback server playing it, everything over HTTP on the gateway's own routes, signed as
that gateway signs: the customer's burst arrives on ``/webhook/<gateway>`` in the gateway's format and gets one
reply, sent exactly as that gateway documents it; before answering the send the gateway reports it — WAHA, Evolution
and GOWA echo the message, the Cloud API posts its ``sent`` status with our reference — and that report is taken
as the bot's own message: no takeover, the next burst is answered too. A Cloud API send that times out after Meta
took it is settled by that status and never sent twice.
"""

from __future__ import annotations

import uuid

import pytest
from chatbatch_local.fake_gateway import HANG, HttpWebhook, dev_webhook_key

from tests.support import SECRET
from tests.support.dev_stack import running_dev_stack, wait_for
from tests.support.fake_gateways import TOKENS, customer_message, fake_gateway, gateway_url
from tests.support.worker import CONTACT, history, room

WAHA_HMAC_KEY = "waha-hmac-key-of-the-dev-test"  # WAHA signs only with a key set: this run sets one
KEYS = {"waha": WAHA_HMAC_KEY, "evolution": None, "meta": dev_webhook_key("meta"), "gowa": dev_webhook_key("gowa")}
CHATS = {"waha": "6281234567890@c.us", "meta": "6281234567890"}  # the chat as each gateway's webhooks name it


def replies_done(pg, tenant: str) -> int:
    with pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM ai_jobs WHERE session_tok = %s AND status = 'done'", (tenant,))
        return cur.fetchone()[0]


def dev_settings(kind: str, fake, **more: str) -> dict[str, str]:
    return {
        "DEBOUNCE_SECONDS": "0.5",
        "GATEWAY": kind,
        "GATEWAY_URL": gateway_url(fake),
        "GATEWAY_TOKEN": TOKENS[kind],
        "WEBHOOK_SECRET": SECRET,
        "WAHA_HMAC_KEY": WAHA_HMAC_KEY,
        **more,
    }


@pytest.mark.parametrize("kind", ["waha", "evolution", "meta", "gowa"])
def test_make_dev_replies_through_the_gateway_and_takes_its_echo_as_the_bots(kind, database_url, pg, tmp_path):
    tenant = f"{kind}-{uuid.uuid4().hex[:8]}"
    gateway = HttpWebhook("", secret=SECRET, hmac_key=KEYS[kind])  # posts as the gateway: bubbles and echoes
    with (
        fake_gateway(kind, echo=gateway) as fake,
        running_dev_stack(database_url, tmp_path, **dev_settings(kind, fake)) as stack,
    ):
        gateway.api_url = stack.base_url
        for text in ("Halo", "Saya mau pesan"):
            assert gateway.post(kind, customer_message(kind, tenant, text)) == 200
        wait_for(lambda: replies_done(pg, tenant) == 1, timeout=60, what="the reply")
        assert gateway.post(kind, customer_message(kind, tenant, "Terima kasih")) == 200
        wait_for(lambda: replies_done(pg, tenant) == 2, timeout=60, what="the reply to the next burst")

    # one documented send per burst, to the customer's chat in the tenant's session
    assert [r.action for r in fake.requests] == ["send", "send"]
    first = fake.sends()[0]
    if kind == "waha":
        assert (first.path, first.headers["X-Api-Key"]) == ("/api/sendText", TOKENS[kind])
        assert first.json["session"] == tenant and first.json["chatId"] == "6281234567890@c.us"
    elif kind == "evolution":
        assert (first.path, first.json["number"]) == (f"/message/sendText/{tenant}", "6281234567890")
    elif kind == "meta":
        assert first.path == f"/v25.0/{tenant}/messages" and first.json["to"] == "6281234567890"
    else:
        assert (first.path, first.headers["X-Device-Id"], first.json["phone"]) == (
            "/send/message",
            tenant,
            CONTACT,
        )
    # the gateway's ids are the bot's messages; the reports (ahead of each answer) were the bot's, never a human's
    chat = CHATS.get(kind, CONTACT)
    rows = history(pg, tenant, chat)
    assert [row[0] for row in rows] == ["contact", "contact", "ai", "contact", "ai"]
    assert [row[1] for row in rows if row[0] == "ai"] == [sent.message_id for sent in fake.sent]
    assert room(pg, tenant, chat)["human_active_at"] is None
    assert gateway.answers == [200, 200]  # the two echoes (Meta: statuses), each accepted on the gateway's route
    with pg.cursor() as cur:
        cur.execute("SELECT echo_ids FROM reply_parts WHERE session_tok = %s ORDER BY job_id", (tenant,))
        assert [row[0] for row in cur.fetchall()] == [[sent.message_id] for sent in fake.sent]


def test_make_dev_settles_a_meta_send_that_timed_out_by_its_status_and_never_sends_it_twice(database_url, pg, tmp_path):
    tenant = f"meta-{uuid.uuid4().hex[:8]}"
    gateway = HttpWebhook("", secret=SECRET, hmac_key=KEYS["meta"])
    # Meta takes the message and posts its status, then answers only after the worker gave up waiting
    with fake_gateway("meta", echo=gateway, send_script=[HANG], hang_seconds=3) as fake:
        more = {"GATEWAY_TIMEOUT_SECONDS": "1", "GATEWAY_ECHO_WAIT_SECONDS": "2"}
        with running_dev_stack(database_url, tmp_path, **dev_settings("meta", fake, **more)) as stack:
            gateway.api_url = stack.base_url
            assert gateway.post("meta", customer_message("meta", tenant, "Halo")) == 200
            wait_for(lambda: replies_done(pg, tenant) == 1, timeout=60, what="the reply")

    assert len(fake.sends()) == 1 and gateway.answers == [200]
    [sent] = fake.sent
    assert history(pg, tenant, "6281234567890")[-1][:2] == ("ai", sent.message_id)
    with pg.cursor() as cur:
        cur.execute("SELECT handovers, echo_ids FROM reply_parts WHERE session_tok = %s", (tenant,))
        assert cur.fetchone() == (1, [sent.message_id])
