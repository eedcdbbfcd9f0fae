"""The worker function end to end: webhook bubbles → job → SQS FIFO event → the real OpenAI-compatible server
and the real gateway server (loopback HTTP) → the chat history. Real Postgres throughout."""

from __future__ import annotations

from chatbatch_local.lambda_runtime import LambdaContext

from tests.support.worker import (
    CONTACT,
    GROUP,
    batch_pending,
    burst_job,
    history,
    job,
    post_message,
    room,
    set_human_active,
    sqs_event,
)
from tests.worker.conftest import GATEWAY_TOKEN, LLM_KEY


def run(worker, event: dict) -> list[str]:
    """Invoke as Lambda would; the message ids SQS is told to retry."""
    response = worker.lambda_handler(event, LambdaContext(function_name="worker"))
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def group_of(tenant: str, chat: str = CONTACT) -> str:
    return f"{tenant}-{chat}"[:128]


def test_a_burst_gets_one_reply_built_from_system_history_and_the_burst(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    # Given an earlier exchange in the chat, then a three-bubble burst with an image among them
    post_message(api_function, tenant, "Halo kak, ada stok?")
    batch_pending(database_url, tenant)  # that first burst was answered by a human:
    post_message(api_function, tenant, "Ada kak", from_me=True)
    set_human_active(pg, tenant, minutes_ago=45)  # ... long enough ago for the bot to answer again
    job_id = burst_job(api_function, database_url, tenant, ["Halo", "Saya mau"])

    # When the worker gets the job
    assert run(worker, sqs_event((job_id, group_of(tenant)))) == []

    # Then the LLM saw system + history (contact → user, human → assistant) + the burst as the newest user turn
    [request] = llm_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {LLM_KEY}"
    assert request["json"]["model"] == "test-model"
    assert request["json"]["messages"] == [
        {"role": "system", "content": "Kamu asisten toko."},
        {"role": "user", "content": "Halo kak, ada stok?"},
        {"role": "assistant", "content": "Ada kak"},
        {"role": "user", "content": "Halo\nSaya mau"},
    ]
    # and the gateway sent exactly one reply to the contact
    [sent] = gateway_server.requests
    assert sent["path"] == "/send/message"
    assert sent["headers"]["Authorization"] == f"Bearer {GATEWAY_TOKEN}"
    assert sent["json"] == {"session_token": tenant, "to": CONTACT, "text": "Jawaban untuk: Halo\nSaya mau"}
    # and the reply is in the history with the gateway's id, the room follows it, unread unchanged
    assert history(pg, tenant)[-1] == ("ai", "3EB0000001", "Jawaban untuk: Halo\nSaya mau")
    r = room(pg, tenant)
    assert (r["last_message"], r["last_sender"], r["unread_count"]) == ("Jawaban untuk: Halo\nSaya mau", "ai", 3)
    # and the job is done with its usage and timings
    j = job(pg, job_id)
    assert (j["status"], j["attempts"], j["reply_message_id"]) == ("done", 1, "3EB0000001")
    assert (j["llm_provider"], j["llm_model"], j["llm_tokens_in"], j["llm_tokens_out"]) == (
        "openai",
        "test-model",
        42,
        7,
    )
    assert j["llm_latency_ms"] >= 0 and j["completed_at"] >= j["replied_at"] >= j["started_at"]


def test_a_media_bubble_reaches_the_llm_as_a_placeholder_with_its_caption(
    worker, api_function, database_url, tenant, llm_server
):
    post_message(api_function, tenant, "Yang ini kak", type="image")
    job_id = burst_job(api_function, database_url, tenant, ["ada warna lain?"])

    assert run(worker, sqs_event((job_id, group_of(tenant)))) == []

    assert llm_server.requests[0]["json"]["messages"][-1] == {
        "role": "user",
        "content": "[image] Yang ini kak\nada warna lain?",
    }


def test_an_llm_5xx_is_retried_and_the_burst_still_gets_one_reply(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    llm_server.script = [503, 429]
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])

    assert run(worker, sqs_event((job_id, group_of(tenant)))) == []

    assert len(llm_server.requests) == 3
    assert len(gateway_server.requests) == 1
    assert [h[0] for h in history(pg, tenant)] == ["contact", "ai"]
    assert job(pg, job_id)["status"] == "done"


def test_a_failed_send_is_retried_with_the_saved_reply_without_asking_the_llm_again(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    gateway_server.script = [502]
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    event = sqs_event((job_id, group_of(tenant)))

    # first delivery: the LLM answers, the gateway fails → SQS is told to retry
    assert run(worker, event) == [event["Records"][0]["messageId"]]
    j = job(pg, job_id)
    assert (j["status"], j["reply"], j["lease_until"]) == ("replied", "Jawaban untuk: Halo", None)
    assert "HTTP 502" in j["error"]

    # redelivery: the saved reply is sent; the LLM is not asked again
    assert run(worker, sqs_event((job_id, group_of(tenant)), receive_count=2)) == []
    assert len(llm_server.requests) == 1
    assert len(gateway_server.requests) == 2
    assert [h[0] for h in history(pg, tenant)] == ["contact", "ai"]
    assert (job(pg, job_id)["status"], job(pg, job_id)["attempts"]) == ("done", 2)


def test_a_duplicate_delivery_changes_nothing(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    event = sqs_event((job_id, group_of(tenant)))

    assert run(worker, event) == []
    assert run(worker, event) == []  # SQS delivers at least once

    assert len(llm_server.requests) == 1 and len(gateway_server.requests) == 1
    assert [h[0] for h in history(pg, tenant)] == ["contact", "ai"]
    assert job(pg, job_id)["attempts"] == 1


def test_a_permanent_failure_marks_the_job_failed_on_the_last_receive(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    llm_server.script = [401] * 10
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])

    for receive in (1, 2):
        assert len(run(worker, sqs_event((job_id, group_of(tenant)), receive_count=receive))) == 1
        assert job(pg, job_id)["status"] == "generating"
    assert len(run(worker, sqs_event((job_id, group_of(tenant)), receive_count=3))) == 1  # max receives

    j = job(pg, job_id)
    assert j["status"] == "failed" and "gave up after 3 receives" in j["error"] and "HTTP 401" in j["error"]
    assert len(llm_server.requests) == 3  # a 401 is not retried inside one attempt
    assert gateway_server.requests == []


def test_a_failing_chat_fails_the_rest_of_its_group_but_not_other_chats(
    worker, api_function, database_url, pg, tenant, gateway_server
):
    other = "6289876543210@s.whatsapp.net"
    first = burst_job(api_function, database_url, tenant, ["Halo"])
    second = burst_job(api_function, database_url, tenant, ["Masih ada?"])
    elsewhere = burst_job(api_function, database_url, tenant, ["Permisi"], chat=other)
    gateway_server.script = [500]  # the first send fails
    event = sqs_event((first, group_of(tenant)), (second, group_of(tenant)), (elsewhere, group_of(tenant, other)))

    failed = run(worker, event)

    assert failed == [event["Records"][0]["messageId"], event["Records"][1]["messageId"]]
    assert job(pg, second)["status"] == "pending"  # not even started: its chat's order holds
    assert job(pg, elsewhere)["status"] == "done"


def test_takeover_silences_the_bot_and_it_resumes_after_the_window(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    # Given a human on the business side answered the contact
    post_message(api_function, tenant, "Halo")
    post_message(api_function, tenant, "Saya bantu ya kak", from_me=True)
    assert room(pg, tenant)["human_active_at"] is not None
    job_id = batch_pending(database_url, tenant)

    # When the job runs within HUMAN_TAKEOVER_MINUTES: skipped, no LLM call, nothing sent
    assert run(worker, sqs_event((job_id, group_of(tenant)))) == []
    j = job(pg, job_id)
    assert j["status"] == "skipped" and "takeover" in j["error"]
    assert llm_server.requests == [] and gateway_server.requests == []

    # Then once the human has been quiet for longer than the window, the bot answers the next burst
    set_human_active(pg, tenant, minutes_ago=31)
    later = burst_job(api_function, database_url, tenant, ["Halo lagi"])
    assert run(worker, sqs_event((later, group_of(tenant)))) == []
    assert job(pg, later)["status"] == "done"
    assert len(gateway_server.requests) == 1


def test_a_takeover_while_the_llm_thinks_stops_the_send(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    llm_server.before_answer = lambda: post_message(api_function, tenant, "Saya yang jawab", from_me=True)

    assert run(worker, sqs_event((job_id, group_of(tenant)))) == []

    j = job(pg, job_id)
    assert (j["status"], j["reply"]) == ("skipped", "Jawaban untuk: Halo")
    assert gateway_server.requests == []
    assert [h[0] for h in history(pg, tenant)] == ["contact", "user"]


def test_echoes_of_the_reply_by_id_and_by_text_are_stored_once_and_are_no_takeover(
    worker, api_function, database_url, pg, tenant, gateway_server
):
    first = burst_job(api_function, database_url, tenant, ["Halo"])
    assert run(worker, sqs_event((first, group_of(tenant)))) == []
    reply = job(pg, first)
    second = burst_job(api_function, database_url, tenant, ["Saya mau"])
    assert run(worker, sqs_event((second, group_of(tenant)))) == []

    # the gateway echoes the first reply with its message id ...
    post_message(api_function, tenant, reply["reply"], from_me=True, message_id=reply["reply_message_id"])
    # ... and the second one with another id than its answer named: recognised by the identical text
    post_message(api_function, tenant, job(pg, second)["reply"], from_me=True)

    assert [h[0] for h in history(pg, tenant)] == ["contact", "ai", "contact", "ai"]
    assert room(pg, tenant)["human_active_at"] is None
    later = burst_job(api_function, database_url, tenant, ["Terima kasih"])
    assert run(worker, sqs_event((later, group_of(tenant)))) == []
    assert job(pg, later)["status"] == "done"


def test_a_human_repeating_the_bots_words_after_its_echo_is_a_human(
    worker, api_function, database_url, pg, tenant, gateway_server
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    assert run(worker, sqs_event((job_id, group_of(tenant)))) == []
    reply = job(pg, job_id)
    post_message(api_function, tenant, reply["reply"], from_me=True, message_id=reply["reply_message_id"])

    post_message(api_function, tenant, reply["reply"], from_me=True)  # a human types the same words

    assert [h[0] for h in history(pg, tenant)] == ["contact", "ai", "user"]
    assert room(pg, tenant)["human_active_at"] is not None


def test_an_echo_arriving_before_the_worker_recorded_the_send_is_recognised_by_its_text(
    worker, api_function, database_url, pg, tenant, gateway_server
):
    job_id = burst_job(api_function, database_url, tenant, ["Halo"])
    # the gateway delivers its echo (with the id it is about to answer) before answering the worker
    gateway_server.before_answer = lambda: post_message(
        api_function, tenant, "Jawaban untuk: Halo", from_me=True, message_id="3EB0000001"
    )

    assert run(worker, sqs_event((job_id, group_of(tenant)))) == []

    assert history(pg, tenant) == [history(pg, tenant)[0], ("ai", "3EB0000001", "Jawaban untuk: Halo")]
    assert room(pg, tenant)["human_active_at"] is None
    assert job(pg, job_id)["status"] == "done"


def test_groups_are_not_answered_by_default(
    worker, api_function, database_url, pg, tenant, llm_server, gateway_server, monkeypatch
):
    from chatbatch import settings

    # Given a group burst that became a job (possible only while the api's AI_REPLY_GROUPS was on)
    monkeypatch.setenv("AI_REPLY_GROUPS", "true")
    settings.clear_settings()
    job_id = burst_job(api_function, database_url, tenant, ["Halo semua"], chat=GROUP, participant=CONTACT)
    monkeypatch.delenv("AI_REPLY_GROUPS")
    settings.clear_settings()

    # When the worker, with the default setting, gets it
    assert run(worker, sqs_event((job_id, group_of(tenant, GROUP)))) == []

    # Then the group is not answered
    j = job(pg, job_id)
    assert j["status"] == "skipped" and "AI_REPLY_GROUPS" in j["error"]
    assert llm_server.requests == [] and gateway_server.requests == []
