"""Two (and more) tenants on one `make dev`, each with its own settings set through PATCH /settings: a test LLM
on loopback that answers with its system prompt shows which prompt each reply was made with, a real HTTP gateway
on loopback receives every reply, and the jobs in Postgres show each burst batched with its tenant's window."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support.dev_stack import CONTACT, dev_stack_with_peers, wait_for

pytestmark = pytest.mark.integration
REPLY_SECONDS = 30  # window + sweep + queue + worker on a busy machine
ENV_DEBOUNCE = 30.0  # the environment's window: long, so a reply within seconds proves a tenant's own window
OTHER_CHAT = "6289876543210@s.whatsapp.net"
CLOSED_NOW = {"sun": [{"open": "03:00", "close": "03:01"}]}  # one minute a week (Jakarta time)


@pytest.fixture(scope="module")
def running(database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tenants-stack")
    with dev_stack_with_peers(database_url, folder, DEBOUNCE_SECONDS=str(ENV_DEBOUNCE), MAX_WAIT_SECONDS="300") as up:
        yield up


class Tenant:
    def __init__(self, stack, peers, name: str, **settings) -> None:
        self.stack, (self.llm, self.gateway) = stack, peers
        self.name = f"{name}-{uuid.uuid4().hex[:8]}"
        self.admin = {"Authorization": f"Bearer {stack.create_token(self.name, scope='admin', name='Owner')}"}
        if settings:
            self.patch(**settings)

    def patch(self, **settings) -> dict:
        status, body = self.stack.request("PATCH", "/settings", settings, self.admin)
        assert status == 200, body
        return body

    def burst(self, *texts: str, chat: str = CONTACT) -> None:
        for text in texts:
            self.stack.post_message(self.name, uuid.uuid4().hex, text, **{"from": chat})

    def sent(self, chat: str = CONTACT) -> list[str]:
        """What the gateway sent to this tenant's chat."""
        return [
            r["json"]["text"]
            for r in list(self.gateway.requests)
            if r["json"]["session_token"] == self.name and r["json"]["to"] == chat
        ]

    def jobs(self, pg) -> list[dict]:
        with pg.cursor() as cur:
            cur.execute(
                "SELECT id, chat_jid, status, batch_size, error, "
                "extract(epoch FROM created_at - last_message_at) AS waited FROM ai_jobs "
                "WHERE session_tok = %s ORDER BY id",
                (self.name,),
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def asked_llm(self, prompt: str) -> int:
        return sum(1 for r in list(self.llm.requests) if r["json"]["messages"][0]["content"] == prompt)


def test_two_tenants_get_their_own_prompt_and_their_own_window(stack, peers, pg):
    shop = Tenant(stack, peers, "shop", system_prompt="Prompt of Toko Budi.", debounce_seconds=1)
    clinic = Tenant(stack, peers, "clinic", system_prompt="Prompt of Klinik Sehat.", debounce_seconds=6)

    shop.burst("Halo", "Ada sepatu?", "Ukuran 42")
    clinic.burst("Selamat pagi", "Mau buat janji")

    # Each reply is made with its tenant's prompt (the test LLM answers with it)
    [shop_reply] = wait_for(shop.sent, timeout=REPLY_SECONDS, what="the shop's reply")
    assert shop_reply == "[Prompt of Toko Budi.] Halo\nAda sepatu?\nUkuran 42"
    [clinic_reply] = wait_for(clinic.sent, timeout=REPLY_SECONDS, what="the clinic's reply")
    assert clinic_reply == "[Prompt of Klinik Sehat.] Selamat pagi\nMau buat janji"

    # Each burst is one job, made once its tenant's own window passed (not the environment's 30 s)
    [shop_job], [clinic_job] = shop.jobs(pg), clinic.jobs(pg)
    assert (shop_job["batch_size"], clinic_job["batch_size"]) == (3, 2)
    assert 1 <= shop_job["waited"] < 6
    assert 6 <= clinic_job["waited"] < ENV_DEBOUNCE


def test_the_bot_switched_off_stays_silent_and_the_next_burst_after_switching_on_is_answered_once(stack, peers, pg):
    tenant = Tenant(
        stack, peers, "off", system_prompt="Prompt of a switched-off shop.", debounce_seconds=1, bot_enabled=False
    )

    tenant.burst("Halo?", "Ada orang?")
    [skipped] = wait_for(
        lambda: [j for j in tenant.jobs(pg) if j["status"] == "skipped"], timeout=REPLY_SECONDS, what="the job skipped"
    )
    assert "switched off" in skipped["error"] and skipped["batch_size"] == 2

    tenant.patch(bot_enabled=True)
    tenant.burst("Halo lagi")
    [reply] = wait_for(tenant.sent, timeout=REPLY_SECONDS, what="the reply after switching on")
    # one reply, to the new burst (the bubbles sent while the bot was off are the prompt's history before it)
    assert reply.startswith("[Prompt of a switched-off shop.]") and reply.endswith("Halo lagi")
    assert tenant.asked_llm("Prompt of a switched-off shop.") == 1
    assert [m for m in stored_texts(pg, tenant.name) if m in ("Halo?", "Ada orang?")] == ["Halo?", "Ada orang?"]


def test_outside_business_hours_one_away_message_per_chat_and_no_llm_call(stack, peers, pg):
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta"))
    if local.weekday() == 6 and local.hour == 3 and local.minute <= 2:
        pytest.skip("the one open minute of the test's business hours")
    tenant = Tenant(
        stack,
        peers,
        "closed",
        system_prompt="Prompt of a closed shop.",
        debounce_seconds=1,
        away_message="Kami buka Minggu pukul 03:00.",
        time_zone="Asia/Jakarta",
        business_hours=CLOSED_NOW,
    )

    tenant.burst("Halo")
    wait_for(tenant.sent, timeout=REPLY_SECONDS, what="the away message")
    tenant.burst("Halo?? Ada yang jaga?")
    tenant.burst("Permisi", chat=OTHER_CHAT)
    wait_for(lambda: tenant.sent(OTHER_CHAT), timeout=REPLY_SECONDS, what="the other chat's away message")
    wait_for(
        lambda: len([j for j in tenant.jobs(pg) if j["status"] in ("done", "skipped")]) == 3,
        timeout=REPLY_SECONDS,
        what="all three jobs finished",
    )

    assert tenant.sent() == ["Kami buka Minggu pukul 03:00."]  # once in this chat, for its two bursts
    assert tenant.sent(OTHER_CHAT) == ["Kami buka Minggu pukul 03:00."]
    assert tenant.asked_llm("Prompt of a closed shop.") == 0


def stored_texts(pg, tenant: str) -> list[str]:
    with pg.cursor() as cur:
        cur.execute("SELECT content FROM chat_messages WHERE user_token = %s ORDER BY id", (tenant,))
        return [row[0] for row in cur.fetchall()]
