"""The console end to end: a real headless Chromium against `make dev` with a test LLM and a real HTTP gateway on
loopback. An operator replies from the page, pauses and resumes the bot, retries a failed job; an admin changes
the prompt; a read token sees no reply box and is refused by the API."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import REPO_ROOT
from tests.support.dev_stack import CONTACT, dev_stack_with_peers, wait_for
from tests.ui.test_page_in_browser import room_button, sign_in

pytestmark = pytest.mark.integration
REPLY_MS = 25_000  # debounce (1 s) + sweep + queue + worker + the page's 2 s poll, on a busy machine
REPLY_SECONDS = REPLY_MS / 1000
# CONSOLE_SCREENSHOT_PATH=docs/console.png make test refreshes the picture in docs/console.md
SCREENSHOT = REPO_ROOT / os.environ.get("CONSOLE_SCREENSHOT_PATH", ".artifacts/console.png")


@pytest.fixture(scope="module")
def running(database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-stack")
    # a failing job fails for good at once; short windows
    with dev_stack_with_peers(database_url, folder, DEBOUNCE_SECONDS="1.0", WORKER_MAX_RECEIVES="1") as up:
        yield up


def customer_writes(stack, tenant: str, text: str) -> None:
    assert stack.post_message(tenant, uuid.uuid4().hex, text)["status"] == "accepted"


def sent_to(gateway, tenant: str) -> list[str]:
    return [r["json"]["text"] for r in list(gateway.requests) if r["json"]["session_token"] == tenant]


def bubbles(page: Page, sender: str):
    return page.locator(f"#message-list .message.sender-{sender} .content")


def job_statuses(pg, tenant: str) -> list[str]:
    with pg.cursor() as cur:
        cur.execute("SELECT status FROM ai_jobs WHERE session_tok = %s ORDER BY id", (tenant,))
        return [row[0] for row in cur.fetchall()]


def open_budi(page: Page, stack, token: str):
    sign_in(page, stack.base_url, token)
    room = room_button(page, "Budi")
    room.click()
    expect(page.locator("#conversation-title")).to_have_text("Budi")
    return room


def test_an_operator_replies_from_the_page_through_the_gateway(stack, peers, page, tenant):
    _, gateway = peers
    customer_writes(stack, tenant, "Halo, sepatu ini ada ukuran 42?")
    open_budi(page, stack, stack.create_token(tenant, scope="operate", name="Ani"))
    expect(page.locator("#conversation-number")).to_have_text("+" + CONTACT.split("@")[0])

    box = page.get_by_label("Reply to the customer")
    box.fill("Ada, kak!")
    box.press("Enter")

    expect(bubbles(page, "user")).to_have_text(["Ada, kak!"])
    expect(page.locator("#message-list .sender-user .sender-label")).to_have_text("Staff · Ani")
    assert "Ada, kak!" in wait_for(lambda: sent_to(gateway, tenant), timeout=5, what="the gateway send")
    expect(box).to_have_value("")

    # Shift+Enter is a new line, Enter sends both lines as one message
    box.type("Baris satu")
    box.press("Shift+Enter")
    box.type("baris dua")
    box.press("Enter")
    wait_for(lambda: "Baris satu\nbaris dua" in sent_to(gateway, tenant), timeout=5, what="the two-line reply")
    expect(bubbles(page, "user")).to_have_count(2)
    expect(page.locator("#message-list .message.sender-user").nth(1)).to_have_class(re.compile(r"\bgrouped\b"))
    expect(page.locator("#message-list .day-separator").first).to_have_text("Today")


def test_an_operator_pauses_the_bot_in_a_chat_and_resumes_it(stack, peers, page, pg, tenant):
    _, gateway = peers
    customer_writes(stack, tenant, "Halo")
    room = open_budi(page, stack, stack.create_token(tenant, scope="operate", name="Ani"))
    expect(bubbles(page, "ai")).to_have_count(1, timeout=REPLY_MS)

    # Pause: shown in the header and the room list; a new burst is stored but not answered
    page.get_by_role("button", name="Pause bot").click()
    expect(page.locator("#bot-state")).to_have_text("Bot paused")
    expect(room.locator(".room-paused")).to_have_text("Bot paused")
    customer_writes(stack, tenant, "Masih ada orang?")
    expect(bubbles(page, "contact")).to_have_text(["Halo", "Masih ada orang?"], timeout=REPLY_MS)
    wait_for(lambda: job_statuses(pg, tenant) == ["done", "skipped"], timeout=REPLY_SECONDS, what="skipped job")
    assert len(sent_to(gateway, tenant)) == 1

    # Resume: the next burst gets one reply
    page.get_by_role("button", name="Resume bot").click()
    expect(page.locator("#bot-state")).to_have_text("Bot on")
    expect(room.locator(".room-paused")).to_have_count(0)
    customer_writes(stack, tenant, "Halo lagi")
    expect(bubbles(page, "ai")).to_have_count(2, timeout=REPLY_MS)
    wait_for(lambda: job_statuses(pg, tenant) == ["done", "skipped", "done"], timeout=5, what="one more reply")
    assert len(sent_to(gateway, tenant)) == 2


def test_an_operator_sees_a_failed_job_and_retries_it_into_one_reply(stack, peers, page, pg, tenant):
    _, gateway = peers
    customer_writes(stack, tenant, "Boleh minta katalog? #fail-once")
    open_budi(page, stack, stack.create_token(tenant, scope="operate", name="Ani"))

    failed = page.locator("#message-list .job-failed")
    expect(failed).to_have_count(1, timeout=REPLY_MS)
    expect(failed.locator(".job-error")).to_contain_text("answered HTTP 400")
    assert sent_to(gateway, tenant) == []

    failed.get_by_role("button", name="Retry").click()

    expect(bubbles(page, "ai")).to_have_text(["[Default prompt.] Boleh minta katalog? #fail-once"], timeout=REPLY_MS)
    expect(failed).to_have_count(0)
    box = page.get_by_label("Reply to the customer")
    box.fill("Katalognya sudah kami kirim, kak. Ada lagi yang bisa dibantu?")
    box.press("Enter")
    expect(bubbles(page, "user")).to_have_count(1)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert job_statuses(pg, tenant) == ["failed", "done"]
    assert len([text for text in sent_to(gateway, tenant) if text.startswith("[")]) == 1  # one bot reply


def test_an_admin_changes_the_prompt_and_the_next_reply_uses_it(stack, page, tenant):
    sign_in(page, stack.base_url, stack.create_token(tenant, scope="admin", name="Owner"))
    page.get_by_role("button", name="Bot settings").click()
    prompt = page.get_by_label("System prompt")
    expect(prompt).to_have_value("Default prompt.")
    expect(page.locator("#s-max_replies_per_hour")).to_have_value("30")  # the cost guards' defaults
    expect(page.locator("#s-daily_token_budget")).to_have_value("1000000")

    prompt.fill("Kamu asisten Toko Budi yang ramah.")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#settings-saved")).to_have_text("Saved.")
    page.get_by_role("button", name="Close").click()
    customer_writes(stack, tenant, "Halo")
    room_button(page, "Budi").click()
    expect(bubbles(page, "ai")).to_have_text(["[Kamu asisten Toko Budi yang ramah.] Halo"], timeout=REPLY_MS)


def test_an_invalid_setting_is_shown_with_its_field_and_not_saved(stack, page, tenant):
    sign_in(page, stack.base_url, stack.create_token(tenant, scope="admin"))
    page.get_by_role("button", name="Bot settings").click()

    page.locator("#s-debounce_seconds").fill("10000")
    page.locator("#s-time_zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save").click()

    error = page.locator("#settings-error")
    expect(error).to_contain_text("debounce_seconds")
    expect(error).to_contain_text("time_zone")
    status, settings = stack.request(
        "GET", "/settings", headers={"Authorization": f"Bearer {stack.create_token(tenant, scope='admin')}"}
    )
    assert status == 200 and settings["debounce_seconds"] == 1 and settings["time_zone"] == "UTC"


def test_a_read_token_sees_no_reply_box_and_the_api_refuses_it(stack, page, tenant):
    customer_writes(stack, tenant, "Halo")
    token = stack.create_token(tenant, scope="read")
    open_budi(page, stack, token)

    expect(page.locator("#read-only-note")).to_be_visible()
    expect(page.get_by_label("Reply to the customer")).to_be_hidden()
    expect(page.get_by_role("button", name="Pause bot")).to_have_count(0)
    expect(page.get_by_role("button", name="Bot settings")).to_be_hidden()
    room_id = int(page.locator(".room[aria-current='true']").get_attribute("data-room-id"))
    status, answer = stack.request(
        "POST", f"/chat-rooms/{room_id}/messages", {"text": "Halo"}, {"Authorization": f"Bearer {token}"}
    )
    assert status == 403 and "operate scope" in answer["message"]


def test_rooms_are_found_by_name_or_number(stack, page, tenant):
    for name, number in [("Budi", "6281111111111"), ("Citra", "6282222222222")]:
        stack.post_message(tenant, uuid.uuid4().hex, "Halo", push_name=name, **{"from": f"{number}@s.whatsapp.net"})
    sign_in(page, stack.base_url, stack.create_token(tenant, scope="read"))
    rooms = page.locator("#room-list .room-name")
    expect(rooms).to_have_count(2)

    search = page.get_by_label("Search conversations by name or number")
    search.fill("cit")
    expect(rooms).to_have_text(["Citra"])
    search.fill("+62 811")
    expect(rooms).to_have_text(["Budi"])
    search.fill("")
    expect(rooms).to_have_count(2)
