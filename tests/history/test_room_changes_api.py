"""GET /chat-rooms/changes (the page's live updates) through the api function, against the real Postgres."""

from __future__ import annotations

from chatbatch.db import transaction_time
from chatbatch.domain.paging import decode_cursor, time_cursor
from chatbatch.domain.room_changes import CHANGES_OVERLAP
from chatbatch.services.room_changes import room_changes

from tests.support import invoke, webhook_event
from tests.support.history import call, history_request, sample_event

T0 = "2026-11-26T10:00:00Z"


def poll(api_function, token: str | None, since: str | None = None) -> tuple[int, dict]:
    query = {"since": since} if since is not None else None
    status, body, _ = call(api_function, history_request("GET", "/chat-rooms/changes", token=token, query=query))
    return status, body


def stamp(pg, room_id: int):
    with pg.cursor() as cur:
        cur.execute("SELECT updated_at FROM chat_rooms WHERE id = %s", (room_id,))
        return cur.fetchone()[0]


def cursor_just_after(pg, room_id: int) -> str:
    """A cursor whose window starts exactly at the room's stamp: the room itself is not a change since."""
    return time_cursor(stamp(pg, room_id) + CHANGES_OVERLAP)


def test_a_first_poll_answers_no_rooms_and_a_cursor_of_the_database_time(api_function, seed, token, pg):
    seed.room("628111@s.whatsapp.net", at=T0)

    status, body = poll(api_function, token)

    assert status == 200
    assert body["items"] == [] and body["complete"] is True
    with pg.cursor() as cur:
        assert decode_cursor(body["cursor"]).at <= transaction_time(cur)


def test_only_rooms_changed_since_the_cursor_are_reported_as_room_objects(api_function, seed, token, pg):
    quiet = seed.room("628111@s.whatsapp.net", at=T0, name="Ani")
    since = cursor_just_after(pg, quiet)
    busy = seed.room("628222@s.whatsapp.net", at=T0, name="Budi", unread=2)

    status, body = poll(api_function, token, since)

    assert status == 200 and body["complete"] is True
    assert [room["id"] for room in body["items"]] == [busy]
    assert body["items"][0]["contact_name"] == "Budi" and body["items"][0]["unread_count"] == 2
    assert decode_cursor(body["cursor"]).at > stamp(pg, busy)  # the next poll starts from this read


def test_a_webhook_message_and_a_mark_read_are_both_changes(api_function, seed, token, pg, tenant):
    contact = "6281234567890@s.whatsapp.net"
    room_id = seed.room(contact, at=T0, unread=0)
    since = cursor_just_after(pg, room_id)

    invoke(
        api_function,
        webhook_event(
            {
                "session_token": tenant,
                "message_id": "m-changes",
                "from": contact,
                "to": "6280000000000@s.whatsapp.net",
                "body": "Masih ada?",
            }
        ),
    )
    _, after_message = poll(api_function, token, since)
    since = cursor_just_after(pg, room_id)
    call(api_function, history_request("POST", f"/chat-rooms/{room_id}/read", token=token))
    _, after_read = poll(api_function, token, since)

    assert [(r["id"], r["last_message"], r["unread_count"]) for r in after_message["items"]] == [
        (room_id, "Masih ada?", 1)
    ]
    assert [(r["id"], r["unread_count"]) for r in after_read["items"]] == [(room_id, 0)]


def test_any_write_of_a_room_moves_its_stamp_even_one_that_does_not_set_it(seed, pg):
    room_id = seed.room("628111@s.whatsapp.net", at=T0)
    before = stamp(pg, room_id)

    with pg.cursor() as cur:  # e.g. a writer elsewhere that knows nothing of updated_at
        cur.execute("UPDATE chat_rooms SET last_message = 'Ok', last_sender = 'ai' WHERE id = %s", (room_id,))

    assert stamp(pg, room_id) > before


def test_a_poll_looks_back_over_the_overlap_so_a_late_commit_is_not_missed(api_function, seed, token, pg):
    room_id = seed.room("628111@s.whatsapp.net", at=T0)
    # A poll whose cursor is a moment after the room's stamp (the write committed just after that poll read)
    since = time_cursor(stamp(pg, room_id) + CHANGES_OVERLAP / 2)

    _, body = poll(api_function, token, since)

    assert [room["id"] for room in body["items"]] == [room_id]


def test_another_tenants_changes_are_never_reported(api_function, token, other_tenant):
    long_ago = time_cursor(decode_cursor(poll(api_function, token)[1]["cursor"]).at - CHANGES_OVERLAP * 100)

    status, body = poll(api_function, token, long_ago)
    _, theirs = poll(api_function, other_tenant[1], long_ago)

    assert status == 200 and body["items"] == []
    assert len(theirs["items"]) == 1


def test_more_changes_than_one_answer_holds_say_so_and_hold_the_most_recent(db, seed, pg, tenant):
    first, second, third = seed.rooms(3, at=T0)
    since = time_cursor(stamp(pg, first))  # the overlap reaches all three

    changes = room_changes(db, tenant=tenant, since=since, max_rooms=2)

    assert changes.complete is False
    assert [room["id"] for room in changes.items] == [third, second]


def test_a_text_that_is_no_cursor_is_a_422_naming_since(api_function, token):
    for bad in ("nope", "MjAyNi0xMS0yNlQxMDowMDowMA==", "1795694400123456", "-1.0", "1.2.3"):
        status, body = poll(api_function, token, bad)

        assert (status, body["error"]) == (422, "invalid_fields"), bad
        assert [d["field"] for d in body["details"]] == ["since"]


def test_any_cursor_of_the_format_is_answered_even_one_the_api_did_not_issue(api_function, token):
    for since in ("0.0", "9999999999999999.999999999999999999"):  # 1970, the year 2286
        status, body = poll(api_function, token, since)

        assert status == 200 and body["complete"] in (True, False), since


def test_changes_need_a_valid_token(api_function):
    assert poll(api_function, None)[0] == 401
    assert poll(api_function, "cbt_not-a-real-token")[0] == 401


def test_a_poll_is_one_range_scan_of_the_tenant_changes_index(pg, tenant):
    with pg.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        cur.execute(
            "EXPLAIN SELECT id FROM chat_rooms WHERE user_token = %s AND updated_at > now() "
            "ORDER BY updated_at DESC LIMIT 201",
            (tenant,),
        )
        plan = "\n".join(row[0] for row in cur.fetchall())
        cur.execute("RESET enable_seqscan")

    assert "chat_rooms_tenant_changes" in plan and "Sort" not in plan


def test_the_events_sample_polls_as_sam_local_invoke_would(api_function, token):
    status, body, _ = call(api_function, sample_event("history_room_changes.json", token=token))

    assert status == 200 and body["items"] == [] and body["complete"] is True
