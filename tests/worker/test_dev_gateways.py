"""End to end through `make dev` (a real `chatbatch dev` process: api, sweeper, worker, local SQS) with each real
gateway selected and a loopback server playing it: the customer's burst gets one reply, sent exactly as that
gateway documents it; the gateway echoes it through the webhook before answering, and the echo is recognised as
the bot's own message — no takeover, the next burst is answered too.

The echo goes through the flat ``POST /webhook`` (``from_me``), the route every stack has; the gateways' own
webhook routes (``/webhook/waha`` …) come with the inbound half of issue 10.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from chatbatch_local.fake_gateway import HttpWebhook

from tests.support import SECRET
from tests.support.dev import running_dev
from tests.support.fake_gateways import TOKENS, fake_gateway, gateway_url
from tests.support.worker import CONTACT, history, room

BUSINESS = "6280000000000@s.whatsapp.net"


def post_bubble(api_url: str, session_tok: str, text: str) -> None:
    payload = {
        "session_token": session_tok,
        "message_id": f"wamid-{uuid.uuid4().hex[:16]}",
        "from": CONTACT,
        "to": BUSINESS,
        "body": text,
        "push_name": "Budi",
    }
    request = urllib.request.Request(
        f"{api_url}/webhook",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Webhook-Secret": SECRET},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def replies_done(pg, session_tok: str) -> int:
    with pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM ai_jobs WHERE session_tok = %s AND status = 'done'", (session_tok,))
        return cur.fetchone()[0]


@pytest.mark.parametrize("kind", ["waha", "evolution", "meta", "gowa"])
def test_make_dev_replies_through_the_gateway_and_takes_its_echo_as_the_bots(kind, database_url, pg, tmp_path):
    session_tok = f"{kind}-{uuid.uuid4().hex[:8]}"
    echo = HttpWebhook("", secret=SECRET, route="flat")
    with fake_gateway(kind, echo=echo if kind != "meta" else None) as fake:
        settings = {"DEBOUNCE_SECONDS": "0.5", "GATEWAY": kind, "GATEWAY_URL": gateway_url(fake)}
        with running_dev(database_url, tmp_path / "stack.json", **settings, GATEWAY_TOKEN=TOKENS[kind]) as (api, _):
            echo.api_url = api
            post_bubble(api, session_tok, "Halo")
            post_bubble(api, session_tok, "Saya mau pesan")
            wait_for(lambda: replies_done(pg, session_tok) == 1, 60, "the reply")
            post_bubble(api, session_tok, "Terima kasih")
            wait_for(lambda: replies_done(pg, session_tok) == 2, 60, "the reply to the next burst")

    # one documented send per burst, to the customer's chat in the tenant's session
    assert [r.action for r in fake.requests] == ["send", "send"]
    first = fake.sends()[0]
    if kind == "waha":
        assert (first.path, first.headers["X-Api-Key"]) == ("/api/sendText", TOKENS[kind])
        assert first.json["session"] == session_tok and first.json["chatId"] == "6281234567890@c.us"
    elif kind == "evolution":
        assert (first.path, first.json["number"]) == (f"/message/sendText/{session_tok}", "6281234567890")
    elif kind == "meta":
        assert first.path == f"/v25.0/{session_tok}/messages" and first.json["to"] == "6281234567890"
    else:
        assert (first.path, first.headers["X-Device-Id"], first.json["phone"]) == (
            "/send/message",
            session_tok,
            CONTACT,
        )
    # the gateway's ids are the bot's messages; the echoes (ahead of each answer) were the bot's, never a human's
    rows = history(pg, session_tok)
    assert [row[0] for row in rows] == ["contact", "contact", "ai", "contact", "ai"]
    assert [row[1] for row in rows if row[0] == "ai"] == [sent.message_id for sent in fake.sent]
    assert room(pg, session_tok)["human_active_at"] is None
    assert echo.answers == ([] if kind == "meta" else [200, 200])
