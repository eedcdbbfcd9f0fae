"""Replies leaving the worker through each real gateway (a loopback server playing it, echoing what it sends back
through the gateway's own webhook route ahead of its HTTP answer — the Cloud API its status with our reference):
the documented request, the stored id, the echo taken as the bot's; a receipt that comes before the part was
recorded lands on it; long replies as ordered parts that resume after a failure; at most one send per part when
the outcome is unknown (settled by the echo, or by Meta's status); typing and read receipts that never hold the
reply up."""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest
from chatbatch.domain.reply_split import split_reply, text_length
from chatbatch.services.reply import fail_job
from chatbatch_local.fake_gateway import HANG, webhook_payload
from chatbatch_local.lambda_runtime import LambdaContext, load_function

from tests.support import invoke
from tests.support.fake_gateways import TOKENS, EchoThroughApi, fake_gateway, gateway_url, read_receipt
from tests.support.gateways import gateway_request
from tests.support.worker import CONTACT, burst_job, history, http_peer, job, room, sqs_event
from tests.worker.conftest import LLM_KEY

# The chat as each gateway's webhooks name it (WAHA writes a phone number's chat @c.us), so the echo of a reply
# names the same chat as the customer's bubbles did.
WAHA_CHAT = "6281234567890@c.us"


def chat(kind: str) -> str:
    return WAHA_CHAT if kind == "waha" else CONTACT


PARAGRAPH = ("Produk kami tersedia dalam banyak warna dan ukuran. " * 9).strip()  # 476 characters
LONG_REPLY = "\n\n".join(f"{n}. {PARAGRAPH}" for n in range(22))  # more than 10,000 characters


@pytest.fixture
def llm(database_url):
    """An OpenAI-compatible LLM on loopback that answers ``llm.reply`` (default: quotes the burst)."""

    def answer(peer, request):
        text = getattr(peer, "reply", None) or f"Jawaban untuk: {request['messages'][-1]['content']}"
        return {"choices": [{"message": {"role": "assistant", "content": text}}], "usage": {}}

    with http_peer(answer) as peer:
        yield peer


@pytest.fixture
def outbound(llm, api_function, monkeypatch, reset_settings):
    """``start(kind, **fake options)``: the worker function sending through a fake gateway of that kind, which
    echoes every send through the api function (its own webhook route) before it answers; ``then``: what else it
    reports then (``EchoThroughApi``)."""
    stack = ExitStack()

    def start(kind: str, *, echo: bool = True, env: dict[str, str] | None = None, then=lambda sent: [], **options):
        echoes = EchoThroughApi(api_function, then=then)
        fake = stack.enter_context(fake_gateway(kind, echo=echoes if echo else None, **options))
        for name, value in {
            "LLM_PROVIDER": "openai",
            "LLM_BASE_URL": f"{llm.url}/v1",
            "LLM_API_KEY": LLM_KEY,
            "GATEWAY": kind,
            "GATEWAY_URL": gateway_url(fake),
            "GATEWAY_TOKEN": TOKENS[kind],
            **(env or {}),
        }.items():
            monkeypatch.setenv(name, value)
        worker = load_function("worker")
        worker._ports.cache_clear()
        stack.callback(worker._ports.cache_clear)
        return worker, fake, echoes

    yield start
    stack.close()


def run(worker, job_id: int, tenant: str, *, receive: int = 1) -> list[str]:
    """One SQS delivery of the job, as Lambda makes it; the message ids handed back for a retry."""
    response = worker.lambda_handler(sqs_event((job_id, tenant), receive_count=receive), LambdaContext("worker"))
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def parts(pg, job_id: int) -> list[dict]:
    with pg.cursor() as cur:
        cur.execute("SELECT * FROM reply_parts WHERE job_id = %s ORDER BY position", (job_id,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def from_me_rows(pg, tenant: str) -> list[str]:
    with pg.cursor() as cur:
        cur.execute("SELECT message_id FROM ai_chat_messages WHERE session_tok = %s AND from_me ORDER BY id", (tenant,))
        return [row[0] for row in cur.fetchall()]


EXPECTED_SEND = {
    "waha": ("/api/sendText", {"chatId": "6281234567890@c.us", "text": "Jawaban untuk: Halo"}),
    "evolution": ("/message/sendText/{s}", {"number": "6281234567890", "text": "Jawaban untuk: Halo"}),
    "meta": (
        "/v25.0/{s}/messages",
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "6281234567890",
            "type": "text",
            "text": {"preview_url": False, "body": "Jawaban untuk: Halo"},
        },
    ),
    "gowa": ("/send/message", {"phone": CONTACT, "message": "Jawaban untuk: Halo"}),
}


@pytest.mark.parametrize("kind", ["waha", "evolution", "meta", "gowa"])
def test_a_reply_goes_out_as_the_gateway_documents_its_id_is_stored_and_its_echo_is_the_bots(
    kind, outbound, api_function, database_url, pg, tenant
):
    worker, fake, echoes = outbound(kind)
    job_id = burst_job(api_function, database_url, tenant, ["Halo"], chat=chat(kind))

    assert run(worker, job_id, tenant) == []

    # the documented request, to the job's chat in the job's tenant session
    [request] = fake.sends()
    path, body = EXPECTED_SEND[kind]
    assert request.path == path.format(s=tenant)
    if kind == "waha":
        body = {"session": tenant, **body}
    if kind == "meta":
        body = {**body, "biz_opaque_callback_data": f"chatbatch:{job_id}:1"}
    assert request.json == body
    # the id from the gateway's answer is the bot's message in the history and the job's
    [sent] = fake.sent
    assert history(pg, tenant, chat(kind))[-1] == ("ai", sent.message_id, "Jawaban untuk: Halo")
    assert job(pg, job_id)["reply_message_id"] == sent.message_id
    # the echo (Meta: the status with our reference) arrived before the answer and was taken as the bot's
    assert echoes.delivered == [sent] and parts(pg, job_id)[0]["echo_ids"] == [sent.message_id]
    assert from_me_rows(pg, tenant) == ([] if kind == "meta" else [sent.message_id])
    assert [row[0] for row in history(pg, tenant, chat(kind))] == ["contact", "ai"]
    assert room(pg, tenant, chat(kind))["human_active_at"] is None
    later = burst_job(api_function, database_url, tenant, ["Terima kasih"], chat=chat(kind))
    assert run(worker, later, tenant) == []
    assert job(pg, later)["status"] == "done"


def test_a_ten_thousand_character_reply_arrives_as_ordered_parts_within_metas_limit(
    outbound, llm, api_function, database_url, pg, tenant
):
    worker, fake, _ = outbound("meta")
    llm.reply = LONG_REPLY
    job_id = burst_job(api_function, database_url, tenant, ["Ceritakan semua produknya"])

    assert run(worker, job_id, tenant) == []

    sent_texts = [request.json["text"]["body"] for request in fake.sends()]
    assert text_length(LONG_REPLY) > 10_000 and len(sent_texts) == 3
    assert sent_texts == split_reply(LONG_REPLY, 4096)
    assert all(text_length(text) <= 4096 for text in sent_texts)
    assert "\n\n".join(sent_texts) == LONG_REPLY  # in order, cut between paragraphs, nothing lost
    assert [r.json["biz_opaque_callback_data"] for r in fake.sends()] == [f"chatbatch:{job_id}:{n}" for n in (1, 2, 3)]
    # each part is its own bot message in the history, with its own id (receipts and echoes name each one)
    assert history(pg, tenant)[1:] == [("ai", s.message_id, s.text) for s in fake.sent]
    assert job(pg, job_id)["reply_message_id"] == fake.sent[0].message_id
    assert room(pg, tenant)["last_message"] == sent_texts[-1]


def test_a_send_failing_after_part_two_is_retried_with_the_rest_only(
    outbound, llm, api_function, database_url, pg, tenant
):
    worker, fake, _ = outbound("meta", send_script=[200, 200, 503])
    llm.reply = LONG_REPLY
    job_id = burst_job(api_function, database_url, tenant, ["Ceritakan semua produknya"])
    expected = split_reply(LONG_REPLY, 4096)

    assert len(run(worker, job_id, tenant)) == 1  # part 3 refused: the job goes back to the queue
    assert [p["status"] for p in parts(pg, job_id)] == ["sent", "sent", "pending"]
    assert [row[2] for row in history(pg, tenant)[1:]] == expected[:2]  # what the customer has, already

    assert run(worker, job_id, tenant, receive=2) == []

    assert [r.json["text"]["body"] for r in fake.sends()] == [*expected, expected[2]]  # part 3 twice: refused once
    assert [s.text for s in fake.sent] == expected  # each part went out exactly once
    assert [row[2] for row in history(pg, tenant)[1:]] == expected
    assert len(llm.requests) == 1 and job(pg, job_id)["status"] == "done"


def test_a_send_whose_answer_never_came_is_settled_by_its_echo_and_not_sent_again(
    outbound, api_function, database_url, pg, tenant
):
    # the gateway accepts, echoes, then answers only after the worker gave up waiting
    worker, fake, _ = outbound("waha", send_script=[HANG], hang_seconds=2, env={"GATEWAY_TIMEOUT_SECONDS": "0.5"})
    job_id = burst_job(api_function, database_url, tenant, ["Halo"], chat=WAHA_CHAT)

    assert len(run(worker, job_id, tenant)) == 1
    [part] = parts(pg, job_id)
    assert (part["status"], part["echo_ids"]) == ("sending", [fake.sent[0].message_id])
    assert "may have sent the message" in job(pg, job_id)["error"]

    assert run(worker, job_id, tenant, receive=2) == []  # the echo proves it went out

    assert len(fake.sends()) == 1
    assert history(pg, tenant, WAHA_CHAT)[-1] == ("ai", fake.sent[0].message_id, "Jawaban untuk: Halo")
    assert room(pg, tenant, WAHA_CHAT)["human_active_at"] is None and job(pg, job_id)["status"] == "done"


def test_without_an_echo_an_unknown_send_waits_then_goes_again_and_both_copies_echoes_are_the_bots(
    outbound, api_function, database_url, pg, tenant
):
    worker, fake, _ = outbound(
        "waha", echo=False, send_script=[HANG], hang_seconds=2, env={"GATEWAY_TIMEOUT_SECONDS": "0.5"}
    )
    job_id = burst_job(api_function, database_url, tenant, ["Halo"], chat=WAHA_CHAT)
    assert len(run(worker, job_id, tenant)) == 1

    # a retry within the echo wait sends nothing (the previous attempt may have gone out)
    assert len(run(worker, job_id, tenant, receive=2)) == 1
    assert len(fake.sends()) == 1 and "sent again only if no echo arrives" in job(pg, job_id)["error"]

    # once the wait is over with no echo, it was not sent: it goes again
    with pg.cursor() as cur:
        cur.execute(
            "UPDATE reply_parts SET sending_at = sending_at - interval '61 seconds' WHERE job_id = %s", (job_id,)
        )
    assert run(worker, job_id, tenant, receive=3) == []
    assert len(fake.sends()) == 2 and parts(pg, job_id)[0]["handovers"] == 2

    # had the first copy gone out after all, its late echo and the second copy's are both the bot's
    for sent in fake.sent:
        assert invoke(api_function, gateway_request("waha", webhook_payload(sent)))[0] == 200
    assert room(pg, tenant, WAHA_CHAT)["human_active_at"] is None
    assert [row[0] for row in history(pg, tenant, WAHA_CHAT)] == ["contact", "ai"]


def test_an_echo_of_a_part_its_job_never_recorded_joins_the_history_as_the_bots(
    outbound, api_function, database_url, pg, tenant
):
    worker, fake, _ = outbound(
        "waha", echo=False, send_script=[HANG], hang_seconds=2, env={"GATEWAY_TIMEOUT_SECONDS": "0.5"}
    )
    job_id = burst_job(api_function, database_url, tenant, ["Halo"], chat=WAHA_CHAT)
    assert len(run(worker, job_id, tenant)) == 1
    from chatbatch.db import Database

    db = Database(lambda: {"dsn": database_url})
    assert fail_job(db, job_id, error="gave up")  # e.g. the queue's last receive
    db.close()

    assert invoke(api_function, gateway_request("waha", webhook_payload(fake.sent[0])))[0] == 200  # a late echo

    assert history(pg, tenant, WAHA_CHAT)[-1] == ("ai", fake.sent[0].message_id, "Jawaban untuk: Halo")
    assert parts(pg, job_id)[0]["status"] == "sent" and room(pg, tenant, WAHA_CHAT)["human_active_at"] is None


def test_a_meta_send_that_timed_out_after_meta_took_it_is_settled_by_its_status_and_never_sent_twice(
    outbound, api_function, database_url, pg, tenant
):
    # Meta takes the message, posts its "sent" status (with our biz_opaque_callback_data) to /webhook/meta, and
    # answers the send only after the worker gave up waiting
    worker, fake, echoes = outbound("meta", send_script=[HANG], hang_seconds=2, env={"GATEWAY_TIMEOUT_SECONDS": "0.5"})
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    assert len(run(worker, job_id, tenant)) == 1
    [accepted] = fake.sent
    assert echoes.answers[0]["results"][0]["status"] == "updated"  # the status settled the part
    [part] = parts(pg, job_id)
    assert (part["status"], part["echo_ids"]) == ("sending", [accepted.message_id])

    assert run(worker, job_id, tenant, receive=2) == []  # at once: no echo wait, the status is the proof

    assert len(fake.sends()) == 1
    assert history(pg, tenant)[-1] == ("ai", accepted.message_id, "Jawaban untuk: Halo")
    assert job(pg, job_id)["status"] == "done"


def test_metas_status_for_another_tenants_part_settles_nothing(outbound, api_function, database_url, pg, tenant):
    worker, fake, _ = outbound(
        "meta", echo=False, send_script=[HANG], hang_seconds=2, env={"GATEWAY_TIMEOUT_SECONDS": "0.5"}
    )
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    assert len(run(worker, job_id, tenant)) == 1
    status = webhook_payload(fake.sent[0])
    status["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "another-business"

    assert invoke(api_function, gateway_request("meta", status))[1]["status"] == "unchanged"

    assert parts(pg, job_id)[0]["echo_ids"] == []


@pytest.mark.parametrize("kind", ["waha", "evolution", "meta", "gowa"])
def test_a_read_receipt_that_comes_before_the_part_was_recorded_lands_on_it(
    kind, outbound, api_function, database_url, pg, tenant
):
    # the gateway reports the message read (its real receipt) even before it answers the send
    worker, fake, echoes = outbound(kind, then=lambda sent: [read_receipt(sent)])
    job_id = burst_job(api_function, database_url, tenant, ["Halo"], chat=chat(kind))

    assert run(worker, job_id, tenant) == []

    [sent] = fake.sent
    assert echoes.answers[-1]["status"] == "held"  # nothing to mark yet: the worker had not recorded it
    with pg.cursor() as cur:
        cur.execute(
            "SELECT status FROM chat_messages WHERE user_token = %s AND message_id = %s", (tenant, sent.message_id)
        )
        assert cur.fetchone() == ("read",)
        cur.execute("SELECT count(*) FROM held_receipts WHERE user_token = %s", (tenant,))
        assert cur.fetchone() == (0,)


@pytest.mark.parametrize("failure", [HANG, 500])
def test_typing_and_read_receipts_that_hang_or_fail_never_hold_the_reply_up(
    failure, outbound, api_function, database_url, pg, tenant
):
    worker, fake, _ = outbound("waha", presence_script=[failure] * 3, hang_seconds=4, env={"GATEWAY_TYPING": "true"})
    job_id = burst_job(api_function, database_url, tenant, ["Halo", "Saya mau"], chat=WAHA_CHAT)
    bubbles = [row[1] for row in history(pg, tenant, WAHA_CHAT)]

    started = time.monotonic()
    assert run(worker, job_id, tenant) == []
    took = time.monotonic() - started

    assert took < 2.0 and job(pg, job_id)["status"] == "done" and len(fake.sends()) == 1
    deadline = time.monotonic() + 20
    while len(fake.requests) < 4 and time.monotonic() < deadline:  # they happen in the background
        time.sleep(0.05)
    assert [(r.action, r.status) for r in fake.requests if r.action != "send"] == [
        ("read", failure if failure != HANG else 200),
        ("typing", failure if failure != HANG else 200),
        ("stop typing", failure if failure != HANG else 200),
    ]
    assert fake.of("read")[0].json["messageIds"] == bubbles


def test_no_typing_or_read_receipts_unless_switched_on(outbound, api_function, database_url, tenant):
    worker, fake, _ = outbound("waha")
    job_id = burst_job(api_function, database_url, tenant, ["Halo"], chat=WAHA_CHAT)

    assert run(worker, job_id, tenant) == []

    assert [r.action for r in fake.requests] == ["send"]
