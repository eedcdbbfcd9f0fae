"""The chat-history page end to end: a real headless Chromium against the `make dev` stack (echo LLM).

Given bubbles posted through the webhook, the owner signs in with a fresh token and reads the conversation,
the bot's reply included, live. The test saves a screenshot of that conversation to .artifacts/screenshot.png
(SCREENSHOT_PATH overrides; `SCREENSHOT_PATH=docs/screenshot.png make test` refreshes the README's picture).
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import REPO_ROOT

SCREENSHOT = REPO_ROOT / os.environ.get("SCREENSHOT_PATH", ".artifacts/screenshot.png")
BOT_REPLY_MS = 60_000  # a deadline, not a wait: debounce (1 s) + sweep + queue + worker on a loaded 2-core machine
LIVE_MS = 8_000  # "within a few seconds": the page polls every 2 s

pytestmark = pytest.mark.integration


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sign_in(page: Page, base_url: str, token: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#app")).to_be_visible()


def room_button(page: Page, name: str):
    return page.locator(".room", has=page.locator(".room-name", has_text=re.compile(f"^{re.escape(name)}$")))


def bubbles(page: Page, sender: str | None = None):
    return page.locator(f"#message-list .message{f'.sender-{sender}' if sender else ''} .content")


def test_the_page_loads_without_a_script_error_or_a_policy_violation(dev_stack, page):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    page.goto(dev_stack.base_url + "/")

    expect(page.get_by_role("heading", name="chatbatch console")).to_be_visible()
    expect(page.get_by_label("API token")).to_be_focused()
    assert problems == []


def test_the_owner_reads_a_conversation_with_the_bot_reply_and_sees_new_bubbles_live(dev_stack, page, tenant):
    # Given a customer who wrote three bubbles in a row
    texts = ["Hi, is the blue jacket still in stock?", "Size M please", "And can you ship it to Bandung today?"]
    for number, text in enumerate(texts, 1):
        assert (
            dev_stack.post_message(tenant, unique(f"bubble{number}"), text, push_name="Budi Santoso")["status"]
            == "accepted"
        )

    # When the owner signs in with a fresh token of that session
    sign_in(page, dev_stack.base_url, dev_stack.create_token(tenant))

    # Then the room is listed with its unread badge
    room = room_button(page, "Budi Santoso")
    expect(room.locator(".room-badge")).to_have_text("3")

    # When it is opened from the keyboard, the three bubbles show, and then the bot's one reply
    room.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#conversation-title")).to_have_text("Budi Santoso")
    expect(bubbles(page, "contact")).to_have_text(texts)
    expect(bubbles(page, "ai")).to_have_count(1, timeout=BOT_REPLY_MS)
    expect(page.locator("#message-list .sender-ai .sender-label")).to_have_text("AI bot")

    # And the badge clears: opening the room marked it read
    expect(room.locator(".room-badge")).to_have_count(0)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    # When the customer writes again, the bubble appears without a reload
    page.evaluate("window.__sameDocument = true")
    dev_stack.post_message(tenant, unique("bubble4"), "Thanks!", push_name="Budi Santoso")
    expect(bubbles(page, "contact")).to_have_text([*texts, "Thanks!"], timeout=LIVE_MS)
    assert page.evaluate("window.__sameDocument") is True
    # And, the room being open, the new bubble counts as read
    expect(room.locator(".room-badge")).to_have_count(0, timeout=LIVE_MS)


def test_a_new_room_appears_in_the_list_without_a_reload(dev_stack, page, tenant):
    dev_stack.post_message(tenant, unique("first"), "Hello", push_name="Ani")
    sign_in(page, dev_stack.base_url, dev_stack.create_token(tenant))
    expect(room_button(page, "Ani")).to_be_visible()

    dev_stack.post_message(
        tenant, unique("other"), "Halo kak", push_name="Citra", **{"from": "6289999999999@s.whatsapp.net"}
    )

    expect(room_button(page, "Citra").locator(".room-badge")).to_have_text("1", timeout=LIVE_MS)
    expect(page.locator("#room-list .room")).to_have_count(2)


def test_a_message_with_html_in_it_is_shown_as_text(dev_stack, page, tenant):
    hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> <b>bold?</b>'
    dev_stack.post_message(tenant, unique("html"), hostile, push_name="<i>Eve</i>")
    sign_in(page, dev_stack.base_url, dev_stack.create_token(tenant))

    room = room_button(page, "<i>Eve</i>")
    expect(room.locator(".room-preview")).to_contain_text(hostile)  # the customer's, or the echo bot's reply to it
    room.click()

    expect(bubbles(page, "contact")).to_have_text([hostile])
    assert page.locator("#message-list img, #message-list script, #message-list b").count() == 0
    assert page.locator("#room-list i, #room-list img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_a_token_of_another_tenant_sees_none_of_these_rooms(dev_stack, page, tenant):
    # Given a tenant with a conversation, and a token of another tenant
    dev_stack.post_message(tenant, unique("mine"), "Private order details", push_name="Dewi")
    own_token = dev_stack.create_token(tenant)
    _, own_rooms = dev_stack.request("GET", "/chat-rooms", headers={"Authorization": f"Bearer {own_token}"})
    room_id = own_rooms["items"][0]["id"]
    other_token = dev_stack.create_token(unique("sess-other"))

    # When the other tenant signs in, the list is empty
    sign_in(page, dev_stack.base_url, other_token)
    expect(page.locator("#rooms-empty")).to_be_visible()
    expect(page.locator("#room-list .room")).to_have_count(0)

    # And the API answers the other tenant as if the room did not exist
    other = {"Authorization": f"Bearer {other_token}"}
    assert dev_stack.request("GET", f"/chat-rooms/{room_id}/messages", headers=other)[0] == 404
    status, changes = dev_stack.request("GET", "/chat-rooms/changes", headers=other)
    assert status == 200
    assert dev_stack.request("GET", f"/chat-rooms/changes?since={changes['cursor']}", headers=other)[1]["items"] == []

    # And the tab stays signed in across a reload (the token lives in this tab's sessionStorage)
    page.reload()
    expect(page.locator("#rooms-empty")).to_be_visible()

    # And signing out forgets the token in this tab
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API token")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_wrong_token_is_refused_with_a_clear_message(dev_stack, page):
    page.goto(dev_stack.base_url + "/")
    page.get_by_label("API token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    expect(page.locator("#app")).to_be_hidden()


def test_on_a_phone_width_screen_one_pane_shows_at_a_time(dev_stack, browser, tenant):
    dev_stack.post_message(tenant, unique("phone"), "Are you open on Sunday?", push_name="Fitri")
    token = dev_stack.create_token(tenant)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        sign_in(phone, dev_stack.base_url, token)
        room = room_button(phone, "Fitri")

        room.click()

        expect(bubbles(phone, "contact")).to_have_text(["Are you open on Sunday?"])
        expect(phone.locator(".rooms-pane")).to_be_hidden()
        phone.get_by_role("button", name="Back to conversations").click()
        expect(room).to_be_visible()
        expect(phone.locator(".conversation-pane")).to_be_hidden()
        room.focus()
        phone.keyboard.press("Enter")
        expect(phone.locator(".rooms-pane")).to_be_hidden()
        phone.keyboard.press("Escape")  # back to the list, focus on its first room
        expect(room).to_be_focused()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


def test_more_rooms_and_older_messages_load_on_scroll_and_every_kind_of_bubble_is_told_apart(dev_stack, page, tenant):
    # Given 31 older chats the business answered, then one long chat: 44 staff bubbles and a customer's photo
    business = "6280000000000@s.whatsapp.net"
    for number in range(31):
        dev_stack.post_message(
            tenant,
            unique("old"),
            f"Order {number} shipped",
            from_me=True,
            **{"from": business, "to": f"62811{number:07d}@s.whatsapp.net"},
        )
    for number in range(44):
        dev_stack.post_message(
            tenant,
            unique("staff"),
            f"Update {number}",
            from_me=True,
            push_name=None,
            **{"from": business, "to": "6287777777777@s.whatsapp.net"},
        )
    dev_stack.post_message(
        tenant,
        unique("photo"),
        "Is this the one?",
        type="image",
        push_name="Gita",
        **{"from": "6287777777777@s.whatsapp.net"},
    )

    sign_in(page, dev_stack.base_url, dev_stack.create_token(tenant))

    # Then the first page of rooms shows, and the rest comes on scrolling the list
    rooms = page.locator("#room-list .room")
    expect(rooms).to_have_count(30)
    expect(rooms.first.locator(".room-name")).to_have_text("Gita")  # newest activity first
    page.locator(".rooms-pane").evaluate("pane => pane.scrollTo(0, pane.scrollHeight)")
    expect(rooms).to_have_count(32)

    # When the newest room is opened, its newest page shows: the photo as its type and caption, staff bubbles marked
    rooms.first.click()
    people = page.locator("#message-list .message:not(.sender-ai)")
    expect(people).to_have_count(40)
    photo = people.last
    expect(photo.locator(".kind")).to_have_text("image")
    expect(photo.locator(".content")).to_have_text("imageIs this the one?")
    expect(photo.locator(".sender-label")).to_have_text("Customer")
    staff = page.locator("#message-list .message.sender-user").first
    expect(staff.locator(".sender-label")).to_have_text("Staff")
    assert "from-business" in staff.get_attribute("class")

    # And older messages come on scrolling up
    page.locator("#message-scroller").evaluate("scroller => scroller.scrollTo(0, 0)")
    expect(people).to_have_count(45)
    expect(people.first.locator(".content")).to_have_text("Update 0")
