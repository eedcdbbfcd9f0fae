"""The console's actions through the api function: a staff reply (real HTTP gateway on loopback), the bot's pause,
a chat's jobs and the retry of a failed one; scopes (403 naming the scope) and tenant isolation (404)."""

from __future__ import annotations

import threading

import pytest
from chatbatch.adapters.gateway import GatewayError
from chatbatch.domain.api_tokens import Scope
from chatbatch.services import api_tokens
from chatbatch.services.reply import fail_job, reply_to_job
from chatbatch.settings import clear_settings

from tests.console.conftest import call
from tests.support.worker import CONTACT, POLICY, FakeGateway, FakeLlm, batch_pending, history, job, post_message


def test_a_staff_reply_goes_through_the_gateway_is_saved_as_staff_and_starts_the_takeover(
    api, tokens, room, pg, tenant, gateway_server
):
    status, message = call(api, "POST", f"/chat-rooms/{room}/messages", tokens["operate"], {"text": " Masih, kak! \n"})

    assert status == 200
    [sent] = gateway_server.requests
    assert sent["json"] == {"session_token": tenant, "to": CONTACT, "text": "Masih, kak!"}
    assert sent["headers"]["Authorization"] == "Bearer gw-test-token"
    assert message["sender_type"] == "user" and message["sent_by"] == "Ani (operate)"
    assert message["status"] == "sent" and message["message_id"] == "3EB0000001"  # the gateway's id
    assert message["sender_jid"] == "6280000000000@s.whatsapp.net"  # the business number the customer wrote to
    assert history(pg, tenant)[-1] == ("user", "3EB0000001", "Masih, kak!")
    with pg.cursor() as cur:
        cur.execute("SELECT last_sender, last_message, human_active_at FROM chat_rooms WHERE id = %s", (room,))
        last_sender, last_message, human_active_at = cur.fetchone()
    assert (last_sender, last_message) == ("user", "Masih, kak!") and human_active_at is not None


@pytest.mark.parametrize("echo_id", ["3EB0000001", "another-id-the-gateway-echoes-with"])
def test_the_gateways_echo_of_a_staff_reply_is_stored_once(api, tokens, room, pg, tenant, echo_id):
    call(api, "POST", f"/chat-rooms/{room}/messages", tokens["operate"], {"text": "Masih, kak!"})

    # the gateway echoes it as a from_me message: by the id it answered with, or (some gateways) another id
    post_message(api, tenant, "Masih, kak!", from_me=True, message_id=echo_id)

    assert [h for h in history(pg, tenant) if h[0] == "user"] == [("user", "3EB0000001", "Masih, kak!")]


def test_a_gateway_that_refuses_is_a_502_and_the_message_stays_failed_in_the_history(
    api, tokens, room, pg, tenant, gateway_server
):
    gateway_server.script = [500, 500]

    status, answer = call(api, "POST", f"/chat-rooms/{room}/messages", tokens["operate"], {"text": "Halo"})

    assert status == 502 and answer["error"] == "gateway_unavailable" and "not sent" in answer["message"]
    with pg.cursor() as cur:
        cur.execute(
            "SELECT status, sent_by FROM chat_messages WHERE chat_room_id = %s AND sender_type = 'user'", (room,)
        )
        assert cur.fetchall() == [("failed", "Ani (operate)")]


def test_pause_holds_until_resumed_and_shows_on_the_room(api, tokens, room):
    status, paused = call(api, "POST", f"/chat-rooms/{room}/bot", tokens["operate"], {"paused": True})
    assert status == 200 and paused["bot_paused"] is True
    listed = call(api, "GET", "/chat-rooms", tokens["read"])[1]["items"]
    assert [r["bot_paused"] for r in listed if r["id"] == room] == [True]

    status, resumed = call(api, "POST", f"/chat-rooms/{room}/bot", tokens["operate"], {"paused": False})
    assert status == 200 and resumed["bot_paused"] is False


def test_a_read_token_may_read_but_not_act_and_is_told_which_scope_it_lacks(api, tokens, room, gateway_server):
    read = tokens["read"]
    assert call(api, "GET", f"/chat-rooms/{room}/jobs", read)[0] == 200
    assert call(api, "GET", "/me", read)[1] == {
        "session_tok": call(api, "GET", "/me", tokens["admin"])[1]["session_tok"],
        "scope": "read",
        "scopes": ["read"],
        "name": "Ani (read)",
    }
    for method, path, body in [
        ("POST", f"/chat-rooms/{room}/messages", {"text": "Halo"}),
        ("POST", f"/chat-rooms/{room}/bot", {"paused": True}),
        ("POST", "/jobs/1/retry", None),
    ]:
        status, answer = call(api, method, path, read, body)
        assert status == 403 and "operate scope" in answer["message"], path
        assert answer["details"] == [{"field": "scope", "problem": "needs operate, the token has read"}]
    assert gateway_server.requests == []


def test_another_tenants_room_or_job_is_a_404(api, tokens, room, db, database_url, tenant):
    job_id = batch_pending(database_url, tenant)
    other = api_tokens.create_token(db, "sess-other-console", scope=Scope.ADMIN).token

    for method, path, body in [
        ("POST", f"/chat-rooms/{room}/messages", {"text": "Halo"}),
        ("POST", f"/chat-rooms/{room}/bot", {"paused": True}),
        ("GET", f"/chat-rooms/{room}/jobs", None),
        ("POST", f"/jobs/{job_id}/retry", None),
    ]:
        assert call(api, method, path, other, body)[0] == 404, path
    assert call(api, "GET", f"/chat-rooms/{room}/jobs", tokens["read"])[0] == 200  # the owner's token sees it


def test_a_failed_job_is_listed_with_its_error_and_a_retry_answers_the_burst_once(
    api, tokens, room, pg, database_url, tenant, db
):
    # Given a burst whose job failed for good
    post_message(api, tenant, "Saya mau pesan")
    failed = batch_pending(database_url, tenant)
    assert fail_job(db, failed, error="gave up after 5 receives: LLM down")

    status, jobs = call(api, "GET", f"/chat-rooms/{room}/jobs", tokens["read"])
    assert status == 200
    [listed] = jobs["items"]
    assert (listed["id"], listed["status"], listed["error"], listed["retried_by"], listed["parts_handed_over"]) == (
        failed,
        "failed",
        "gave up after 5 receives: LLM down",
        None,
        0,  # nothing reached the customer: the page offers Retry
    )

    # When the operator retries it: a new pending job for the same bubbles
    status, retry = call(api, "POST", f"/jobs/{failed}/retry", tokens["operate"])
    assert status == 200 and retry["status"] == "pending" and retry["retry_of"] == failed
    assert job(pg, retry["id"])["batched_msg_ids"] == job(pg, failed)["batched_msg_ids"]

    # Then a second retry of the same failed job, or of a job that did not fail, is refused
    again = call(api, "POST", f"/jobs/{failed}/retry", tokens["operate"])
    assert again[0] == 409 and f"already retried as job {retry['id']}" in again[1]["message"]
    assert call(api, "POST", f"/jobs/{retry['id']}/retry", tokens["operate"])[0] == 409

    # And the worker answers the new job: one reply for the burst; the failed job can never send
    gateway = FakeGateway()
    assert reply_to_job(db, retry["id"], llm=FakeLlm(), gateway=gateway, policy=POLICY).result == "done"
    assert reply_to_job(db, failed, llm=FakeLlm(), gateway=gateway, policy=POLICY).result == "nothing"
    assert len(gateway.sent) == 1
    assert [h[2] for h in history(pg, tenant) if h[0] == "ai"] == ["re: Halo, masih buka?\nSaya mau pesan"]
    items = call(api, "GET", f"/chat-rooms/{room}/jobs", tokens["read"])[1]["items"]
    assert [(j["id"], j["status"], j["retried_by"]) for j in items] == [
        (retry["id"], "done", None),
        (failed, "failed", retry["id"]),
    ]


class SecondPartRefused(FakeGateway):
    """Takes a reply's first part, refuses every later one (a gateway that went down mid-reply)."""

    max_text_chars = 24  # "re: Halo, masih buka?" and "Saya mau pesan": two parts

    def send(self, *, tenant: str, to: str, text: str, reference: str | None = None):
        if self.sent:
            raise GatewayError("gateway 503", status=503)
        return super().send(tenant=tenant, to=to, text=text, reference=reference)


def test_a_job_that_failed_after_a_part_of_its_reply_went_out_is_not_retried_the_operator_answers_by_hand(
    api, tokens, room, pg, database_url, tenant, db
):
    # Given a burst whose reply's first part reached the customer before the gateway went down for good
    post_message(api, tenant, "Saya mau pesan")
    failed = batch_pending(database_url, tenant)
    gateway = SecondPartRefused()
    with pytest.raises(GatewayError):
        reply_to_job(db, failed, llm=FakeLlm(), gateway=gateway, policy=POLICY)
    assert [sent["text"] for sent in gateway.sent] == ["re: Halo, masih buka?"]
    assert fail_job(db, failed, error="gave up after 5 receives: gateway 503")

    # When the operator retries it
    status, refused = call(api, "POST", f"/jobs/{failed}/retry", tokens["operate"])

    # Then it is refused, saying why (a retry would ask the LLM for a whole new reply, sent on top of that part),
    # and no job is made
    assert status == 409
    assert f"job {failed} failed after handing 1 of the 2 parts of its reply to the gateway" in refused["message"]
    assert "answer this chat yourself" in refused["message"]
    items = call(api, "GET", f"/chat-rooms/{room}/jobs", tokens["read"])[1]["items"]
    assert [(j["id"], j["status"], j["retried_by"], j["parts_handed_over"]) for j in items] == [
        (failed, "failed", None, 1)  # the page shows "answer by hand" instead of Retry
    ]


def test_a_job_failing_touches_its_room_so_the_console_poll_sees_it(api, tokens, room, pg, database_url, tenant, db):
    failed = batch_pending(database_url, tenant)
    _, first = call(api, "GET", "/chat-rooms/changes", tokens["read"])

    fail_job(db, failed, error="boom")

    _, changes = call(api, "GET", "/chat-rooms/changes", tokens["read"], since=first["cursor"])
    assert [r["id"] for r in changes["items"]] == [room]


def test_rooms_are_searched_by_name_or_number(api, tokens, pg, tenant):
    post_message(api, tenant, "Halo", chat="6281111111111@s.whatsapp.net", push_name="Budi Santoso")
    post_message(api, tenant, "Halo", chat="6282222222222@s.whatsapp.net", push_name="Citra")
    post_message(api, tenant, "Halo", chat="6283333333333@s.whatsapp.net", push_name="100%_real")

    def names(q: str) -> list[str]:
        return [r["contact_name"] for r in call(api, "GET", "/chat-rooms", tokens["read"], q=q)[1]["items"]]

    assert names("budi") == ["Budi Santoso"]
    assert names("+62 822-2222") == ["Citra"]
    assert names("%") == ["100%_real"]  # wildcards are literal
    assert names("nobody") == []
    assert len(names("")) == 3


def test_a_gateway_that_gives_no_answer_is_a_504_the_reply_stays_unconfirmed_and_its_echo_makes_it_sent(
    api, tokens, room, pg, tenant, gateway_server, monkeypatch
):
    # Given a gateway that takes the request and answers only after the send's timeout
    monkeypatch.setenv("GATEWAY_TIMEOUT_SECONDS", "0.3")
    clear_settings()  # the room's first message read them already
    answered = threading.Event()
    gateway_server.before_answer = lambda: answered.wait(5)

    status, answer = call(
        api, "POST", f"/chat-rooms/{room}/messages", tokens["operate"], {"text": "Sudah dikirim, kak"}
    )
    answered.set()

    # Then the operator is told it may have gone out, and the history does not say it failed
    assert status == 504 and answer["error"] == "gateway_timeout" and "may have been sent" in answer["message"]
    assert staff_statuses(pg, room) == ["unconfirmed"]

    # When WhatsApp echoes it (the customer got it), it is sent, and its room shows as changed to the page's poll
    changed_before = room_changed_at(pg, room)
    post_message(api, tenant, "Sudah dikirim, kak", from_me=True, message_id="3EB0ECHO01")
    assert staff_statuses(pg, room) == ["sent"]
    assert room_changed_at(pg, room) > changed_before


def room_changed_at(pg, room: int):
    with pg.cursor() as cur:
        cur.execute("SELECT updated_at FROM chat_rooms WHERE id = %s", (room,))
        return cur.fetchone()[0]


def staff_statuses(pg, room: int) -> list[str]:
    with pg.cursor() as cur:
        cur.execute("SELECT status FROM chat_messages WHERE chat_room_id = %s AND sender_type = 'user'", (room,))
        return [row[0] for row in cur.fetchall()]
