"""The reply use case with each tenant's own settings: prompt, model and context size per tenant; the bot off
for a tenant or paused in a chat (no LLM call, nothing sent, then one reply once resumed); outside business
hours the away message once per chat per closed period, never the LLM."""

from __future__ import annotations

from datetime import timedelta

import pytest
from chatbatch.domain.bot_control import AWAY_ALREADY_SENT, BOT_OFF, CLOSED_WITHOUT_AWAY_MESSAGE, PAUSED
from chatbatch.services.reply import ReplyPolicy, reply_to_job
from psycopg2.extras import Json

from tests.support.worker import CONTACT, FakeGateway, FakeLlm, burst_job, history, job

POLICY = ReplyPolicy(  # the environment's prompt, to tell it from a tenant's
    system_prompt="Environment prompt.",
    history_limit=20,
    takeover_minutes=30,
    reply_groups=False,
    lease=timedelta(minutes=2),
)
OTHER_CHAT = "6289876543210@s.whatsapp.net"
# Open one minute a week, at a time that is never now in these tests: Sunday 03:00-03:01 in Jakarta
# (the test skips in that minute).
NEVER_NOW = {"sun": [{"open": "03:00", "close": "03:01"}]}


def own_settings(pg, tenant: str, **values) -> None:
    names = list(values)
    params = [Json(v) if isinstance(v, dict) else v for v in values.values()]
    with pg.cursor() as cur:
        cur.execute(
            f"INSERT INTO tenant_settings (session_tok, {', '.join(names)})"
            f" VALUES (%s, {', '.join(['%s'] * len(names))})"
            f" ON CONFLICT (session_tok) DO UPDATE SET {', '.join(f'{n} = EXCLUDED.{n}' for n in names)}",
            [tenant, *params],
        )


def test_each_tenant_gets_its_own_prompt_model_and_context_size(db, api_function, database_url, pg, tenant):
    tenant_b = tenant + "-b"
    own_settings(
        pg, tenant, system_prompt="Kamu asisten Toko Budi.", llm_model="budi-model", history_context_messages=1
    )
    for tok in (tenant, tenant_b):  # some history: two earlier answered bursts
        for text in ("pesan satu", "pesan dua"):
            reply_to_job(
                db,
                burst_job(api_function, database_url, tok, [text]),
                llm=FakeLlm(),
                gateway=FakeGateway(),
                policy=POLICY,
            )
    llm = FakeLlm()

    for tok in (tenant, tenant_b):
        reply_to_job(
            db, burst_job(api_function, database_url, tok, ["Halo"]), llm=llm, gateway=FakeGateway(), policy=POLICY
        )

    budi, default = llm.prompts
    assert budi.system == "Kamu asisten Toko Budi." and default.system == "Environment prompt."
    assert llm.models == ["budi-model", None]  # None: the adapter's own LLM_MODEL
    assert len(budi.turns) < len(default.turns)  # one history message instead of twenty


@pytest.mark.parametrize(("switch", "reason"), [("bot_off", BOT_OFF), ("paused", PAUSED)])
def test_the_bot_off_or_paused_stays_silent_and_the_next_burst_after_it_is_back_is_answered_once(
    db, api_function, database_url, pg, tenant, switch, reason
):
    def set_switch(on: bool) -> None:
        if switch == "bot_off":
            own_settings(pg, tenant, bot_enabled=not on)
        else:
            with pg.cursor() as cur:
                cur.execute(
                    "UPDATE chat_rooms SET bot_paused_at = CASE WHEN %s THEN now() END WHERE user_token = %s",
                    (on, tenant),
                )

    post_first = burst_job(api_function, database_url, tenant, ["Halo"])  # makes the room
    reply_to_job(db, post_first, llm=FakeLlm(), gateway=FakeGateway(), policy=POLICY)
    set_switch(True)
    llm, gateway = FakeLlm(), FakeGateway()

    silent = burst_job(api_function, database_url, tenant, ["Ada promo?", "Halo?"])
    outcome = reply_to_job(db, silent, llm=llm, gateway=gateway, policy=POLICY)

    assert outcome.result == "skipped" and outcome.reason == reason
    assert job(pg, silent)["status"] == "skipped" and llm.prompts == [] and gateway.sent == []
    assert [h[2] for h in history(pg, tenant)][-2:] == ["Ada promo?", "Halo?"]  # the bubbles are stored

    set_switch(False)
    answered = burst_job(api_function, database_url, tenant, ["Jadi ada promo?"])
    assert reply_to_job(db, answered, llm=llm, gateway=gateway, policy=POLICY).result == "done"
    assert len(llm.prompts) == len(gateway.sent) == 1


def test_a_pause_while_the_llm_thinks_stops_the_send(db, api_function, database_url, pg, tenant):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])

    def operator_pauses():
        with pg.cursor() as cur:
            cur.execute("UPDATE chat_rooms SET bot_paused_at = now() WHERE user_token = %s", (tenant,))

    gateway = FakeGateway()
    outcome = reply_to_job(db, job_id, llm=FakeLlm(during_call=operator_pauses), gateway=gateway, policy=POLICY)

    assert outcome.result == "skipped" and outcome.reason == PAUSED and gateway.sent == []


@pytest.fixture
def closed_now():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta"))
    if local.weekday() == 6 and local.hour == 3 and local.minute <= 2:
        pytest.skip("the one open minute of the test's business hours")
    return {"business_hours": NEVER_NOW, "time_zone": "Asia/Jakarta"}


def test_outside_business_hours_one_away_message_per_chat_per_closed_period_and_no_llm(
    db, api_function, database_url, pg, tenant, closed_now
):
    own_settings(pg, tenant, away_message="Kami buka Minggu 03:00.", **closed_now)
    llm, gateway = FakeLlm(), FakeGateway()

    outcomes = [
        reply_to_job(
            db,
            burst_job(api_function, database_url, tenant, [text], chat=chat),
            llm=llm,
            gateway=gateway,
            policy=POLICY,
        )
        for chat, text in [(CONTACT, "Halo"), (CONTACT, "Halo??"), (OTHER_CHAT, "Permisi")]
    ]

    assert [o.result for o in outcomes] == ["done", "skipped", "done"]
    assert outcomes[1].reason == AWAY_ALREADY_SENT
    assert llm.prompts == []
    assert [(s["to"], s["text"]) for s in gateway.sent] == [
        (CONTACT, "Kami buka Minggu 03:00."),
        (OTHER_CHAT, "Kami buka Minggu 03:00."),
    ]
    assert [h[2] for h in history(pg, tenant) if h[0] == "ai"] == ["Kami buka Minggu 03:00."]
    assert job(pg, outcomes[0].job_id)["llm_provider"] == "away_message"

    # A later closed period (the chat's mark is of an earlier one) gets the away message again
    with pg.cursor() as cur:
        cur.execute(
            "UPDATE chat_rooms SET away_sent_for = away_sent_for - interval '7 days' WHERE chat_id = %s",
            (f"{tenant}_{CONTACT}",),
        )
    again = reply_to_job(
        db, burst_job(api_function, database_url, tenant, ["Halo lagi"]), llm=llm, gateway=gateway, policy=POLICY
    )
    assert again.result == "done" and len(gateway.sent) == 3 and llm.prompts == []


def test_outside_business_hours_without_an_away_message_the_bot_is_silent(
    db, api_function, database_url, pg, tenant, closed_now
):
    own_settings(pg, tenant, **closed_now)
    llm, gateway = FakeLlm(), FakeGateway()

    outcome = reply_to_job(
        db, burst_job(api_function, database_url, tenant, ["Halo"]), llm=llm, gateway=gateway, policy=POLICY
    )

    assert outcome.reason == CLOSED_WITHOUT_AWAY_MESSAGE and llm.prompts == [] and gateway.sent == []


def test_within_business_hours_the_llm_answers(db, api_function, database_url, pg, tenant):
    always = {day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    own_settings(pg, tenant, away_message="Tutup.", business_hours=always, time_zone="Asia/Jakarta")
    llm = FakeLlm()

    outcome = reply_to_job(
        db, burst_job(api_function, database_url, tenant, ["Halo"]), llm=llm, gateway=FakeGateway(), policy=POLICY
    )

    assert outcome.result == "done" and len(llm.prompts) == 1
