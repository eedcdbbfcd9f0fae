"""The chat-history API through the api function's handler (in-process), against the real Postgres."""

from __future__ import annotations

import pytest
from chatbatch.services import api_tokens

from tests.support.history import call, history_request, sample_event

T0 = "2026-11-26T10:00:00Z"


def get(api_function, path: str, token: str | None, **query):
    status, body, _ = call(api_function, history_request("GET", path, token=token, query=query))
    return status, body


def post(api_function, path: str, token: str | None):
    status, body, _ = call(api_function, history_request("POST", path, token=token))
    return status, body


def walk(api_function, path: str, token: str, cursor_param: str, limit: int) -> list[list[int]]:
    """Follow next_cursor to the end; the ids of each page."""
    pages, query = [], {"limit": limit}
    while True:
        status, body = get(api_function, path, token, **query)
        assert status == 200, body
        pages.append([item["id"] for item in body["items"]])
        if body["next_cursor"] is None:
            return pages
        query = {"limit": limit, cursor_param: body["next_cursor"]}


# --- rooms -------------------------------------------------------------------------------------------------


def test_rooms_come_newest_activity_first_with_the_contract_fields(api_function, seed, token):
    old = seed.room("628111@s.whatsapp.net", at="2026-11-26T09:00:00Z", unread=2, name="Ani")
    new = seed.room(
        "628222@s.whatsapp.net", at="2026-11-26T11:30:00.123456Z", unread=0, name=None, last_message="Terima kasih"
    )

    status, body = get(api_function, "/chat-rooms", token)

    assert status == 200
    assert [r["id"] for r in body["items"]] == [new, old]
    assert body["next_cursor"] is None
    assert body["items"][0] == {
        "id": new,
        "chat_id": f"{seed.tenant}_628222@s.whatsapp.net",
        "contact_jid": "628222@s.whatsapp.net",
        "contact_name": None,
        "chat_type": "individual",
        "is_group": False,
        "last_message": "Terima kasih",
        "last_sender": "contact",
        "last_activity": "2026-11-26T11:30:00.123456Z",
        "unread_count": 0,
        "bot_paused": False,
    }


def test_room_pages_follow_the_cursor_without_gaps_or_repeats_even_when_activity_ties(api_function, seed, token):
    tied = seed.rooms(7, at=T0)  # seven rooms with the very same last_activity
    newer = seed.room("628999@s.whatsapp.net", at="2026-11-26T10:00:00.000001Z")
    older = seed.room("628000@s.whatsapp.net", at="2026-11-26T09:59:59.999999Z")

    pages = walk(api_function, "/chat-rooms", token, "cursor", limit=3)

    assert [len(p) for p in pages] == [3, 3, 3]
    assert [i for page in pages for i in page] == [newer, *sorted(tied, reverse=True), older]


def test_the_default_page_is_20_rooms(api_function, seed, token):
    seed.rooms(21, at=T0)
    status, body = get(api_function, "/chat-rooms", token)
    assert status == 200 and len(body["items"]) == 20 and body["next_cursor"]


def test_a_page_that_ends_exactly_at_the_last_room_has_no_next_cursor(api_function, seed, token):
    seed.rooms(4, at=T0)
    assert [len(p) for p in walk(api_function, "/chat-rooms", token, "cursor", limit=2)] == [2, 2]


def test_a_tenant_without_rooms_gets_an_empty_page(api_function, token):
    assert get(api_function, "/chat-rooms", token) == (200, {"items": [], "next_cursor": None})


# --- messages ----------------------------------------------------------------------------------------------


def test_messages_come_newest_first_and_older_pages_follow_before(api_function, seed, token):
    room = seed.room("628111@s.whatsapp.net", at=T0)
    other_room = seed.room("628222@s.whatsapp.net", at=T0)
    ids = [seed.message(room, f"m{i}", at=f"2026-11-26T10:00:{i:02d}Z") for i in range(5)]
    tied = [seed.message(room, f"t{i}", at="2026-11-26T10:00:02Z") for i in range(3)]  # ties with m2
    seed.message(other_room, "elsewhere", at="2026-11-26T10:00:03Z")

    pages = walk(api_function, f"/chat-rooms/{room}/messages", token, "before", limit=3)

    expected = [ids[4], ids[3], *sorted([ids[2], *tied], reverse=True), ids[1], ids[0]]
    assert [i for page in pages for i in page] == expected
    assert [len(p) for p in pages] == [3, 3, 2]


def test_a_message_has_the_contract_fields(api_function, seed, token):
    room = seed.room("628111@s.whatsapp.net", at=T0)
    seed.message(room, "wa-1", at="2026-11-26T10:00:00+07:00", content="Ada stok?", sender_type="ai")

    _, body = get(api_function, f"/chat-rooms/{room}/messages", token)

    assert body["items"] == [
        {
            "id": body["items"][0]["id"],
            "message_id": "wa-1",
            "sender_type": "ai",
            "sender_jid": "628111@s.whatsapp.net",
            "message_type": "text",
            "content": "Ada stok?",
            "status": "received",
            "status_error": None,
            "reply_to_message_id": None,
            "deleted_at": None,
            "reactions": [],
            "timestamp": "2026-11-26T03:00:00Z",
            "sent_by": None,
        }
    ]


# --- mark read ---------------------------------------------------------------------------------------------


def test_mark_read_sets_unread_to_zero_and_answers_the_room(api_function, pg, seed, token):
    room = seed.room("628111@s.whatsapp.net", at=T0, unread=5)
    untouched = seed.room("628222@s.whatsapp.net", at=T0, unread=3)

    status, body = post(api_function, f"/chat-rooms/{room}/read", token)

    assert status == 200
    assert (body["id"], body["unread_count"], body["contact_jid"]) == (room, 0, "628111@s.whatsapp.net")
    with pg.cursor() as cur:
        cur.execute("SELECT id, unread_count FROM chat_rooms WHERE user_token = %s ORDER BY id", (seed.tenant,))
        assert cur.fetchall() == [(room, 0), (untouched, 3)]


# --- tenant isolation --------------------------------------------------------------------------------------


def test_another_tenants_room_is_not_found_for_every_route_and_is_not_written(
    api_function, pg, seed, token, other_tenant
):
    other, _ = other_tenant
    seed.room("628111@s.whatsapp.net", at=T0)
    with pg.cursor() as cur:
        cur.execute("SELECT id FROM chat_rooms WHERE user_token = %s", (other.tenant,))
        foreign = cur.fetchone()[0]

    rooms_status, rooms = get(api_function, "/chat-rooms", token)
    messages_status, messages = get(api_function, f"/chat-rooms/{foreign}/messages", token)
    read_status, read = post(api_function, f"/chat-rooms/{foreign}/read", token)

    assert rooms_status == 200 and foreign not in [r["id"] for r in rooms["items"]]
    assert (messages_status, messages["error"]) == (404, "not_found")
    assert (read_status, read["error"]) == (404, "not_found")
    assert "secret" not in str(messages) + str(read)
    with pg.cursor() as cur:
        cur.execute("SELECT unread_count FROM chat_rooms WHERE id = %s", (foreign,))
        assert cur.fetchone() == (4,)


def test_a_room_that_does_not_exist_answers_like_another_tenants_room(api_function, token, other_tenant, pg):
    other, _ = other_tenant
    with pg.cursor() as cur:
        cur.execute("SELECT id FROM chat_rooms WHERE user_token = %s", (other.tenant,))
        foreign = cur.fetchone()[0]
    _, foreign_answer = get(api_function, f"/chat-rooms/{foreign}/messages", token)
    _, missing_answer = get(api_function, "/chat-rooms/999999999/messages", token)
    assert foreign_answer["error"] == missing_answer["error"] == "not_found"
    assert foreign_answer["message"].replace(str(foreign), "N") == missing_answer["message"].replace("999999999", "N")


def test_a_cursor_from_another_tenants_list_still_shows_only_the_callers_rooms(api_function, seed, token, other_tenant):
    other, other_token = other_tenant
    other.room("6289888888888@s.whatsapp.net", at="2026-11-26T13:00:00Z")
    mine = seed.rooms(3, at=T0)
    _, foreign_page = get(api_function, "/chat-rooms", other_token, limit=1)
    assert foreign_page["next_cursor"]

    status, body = get(api_function, "/chat-rooms", token, limit=5, cursor=foreign_page["next_cursor"])

    assert status == 200 and [r["id"] for r in body["items"]] == sorted(mine, reverse=True)


# --- auth --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({}, "missing Authorization"),
        ({"authorization": "Basic dXNlcjpwdw=="}, "Bearer <token>"),
        ({"authorization": "Bearer "}, "Bearer <token>"),
        ({"authorization": "Bearer cbt_not-a-token-we-issued"}, "unknown or revoked"),
        ({"authorization": "Bearer something-else"}, "unknown or revoked"),
    ],
)
@pytest.mark.parametrize(
    "method, path", [("GET", "/chat-rooms"), ("GET", "/chat-rooms/1/messages"), ("POST", "/chat-rooms/1/read")]
)
def test_requests_without_a_valid_token_get_401(api_function, method, path, headers, reason):
    status, body, _ = call(api_function, history_request(method, path, token=None, headers=headers))
    assert status == 401 and body["error"] == "unauthorized" and reason in body["message"]


def test_the_scheme_and_header_name_are_case_insensitive(api_function, token):
    event = history_request("GET", "/chat-rooms", token=None)
    event["headers"]["Authorization"] = f"bearer  {token}"
    assert call(api_function, event)[0] == 200


def test_a_revoked_token_gets_401_and_the_others_keep_working(api_function, db, tenant, token):
    spare = api_tokens.create_token(db, tenant, label="spare").token
    assert get(api_function, "/chat-rooms", token)[0] == 200

    api_tokens.revoke_token(db, token)

    status, body = get(api_function, "/chat-rooms", token)
    assert status == 401 and "revoked" in body["message"]
    assert get(api_function, "/chat-rooms", spare)[0] == 200


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5"])
def test_limit_outside_1_to_100_is_a_422_naming_limit(api_function, token, limit):
    status, body = get(api_function, "/chat-rooms", token, limit=limit)
    assert (status, body["error"]) == (422, "invalid_fields")
    assert body["details"][0]["field"] == "limit" and "limit" in body["message"]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_limit_bounds_are_inclusive(api_function, token, limit):
    assert get(api_function, "/chat-rooms", token, limit=limit)[0] == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "eyJ0IjoiMjAyNi0xMS0yNlQxMDowMDowMFoiLCJpZCI6MX0",  # the old base64-JSON cursors
        "1795694400000000",  # no id
        "1795694400000000.1.2",
        "12345678901234567.1",  # past the year 2286
        "1.1234567890123456789",  # an id past bigint
        "\u0000",
        "%%%",
    ],
)
@pytest.mark.parametrize("path, param", [("/chat-rooms", "cursor"), ("/chat-rooms/{room}/messages", "before")])
def test_a_text_that_is_no_cursor_is_a_422_naming_the_parameter(api_function, seed, token, cursor, path, param):
    room = seed.room("628111@s.whatsapp.net", at=T0)
    status, body = get(api_function, path.format(room=room), token, **{param: cursor})
    assert (status, body["error"]) == (422, "invalid_fields")
    assert [d["field"] for d in body["details"]] == [param]


@pytest.mark.parametrize("path, param", [("/chat-rooms", "cursor"), ("/chat-rooms/{room}/messages", "before")])
def test_a_cursor_of_the_format_the_api_did_not_issue_starts_the_page_where_it_names(
    api_function, seed, token, path, param
):
    room = seed.room("628111@s.whatsapp.net", at=T0)
    for cursor in ("0.0", "9999999999999999.999999999999999999"):
        status, body = get(api_function, path.format(room=room), token, **{param: cursor})
        assert status == 200 and isinstance(body["items"], list), cursor


@pytest.mark.parametrize("room_id", ["abc", "0", "-3", "9007199254740992"])
def test_a_room_id_that_is_not_a_positive_json_safe_integer_is_a_422(api_function, token, room_id):
    status, body = get(api_function, f"/chat-rooms/{room_id}/messages", token)
    assert (status, body["error"]) == (422, "invalid_fields") and "room_id" in body["message"]


@pytest.mark.parametrize(
    "method, path", [("GET", "/chat-rooms/"), ("GET", "/chat-rooms/1/read"), ("DELETE", "/chat-rooms")]
)
def test_an_unknown_route_is_a_404_in_the_api_error_shape(api_function, token, method, path):
    status, body, _ = call(api_function, history_request(method, path, token=token))
    assert (status, body["error"]) == (404, "not_found")
    assert body["message"] == f"no route {method} {path}; /swagger lists the routes"


def test_a_database_that_is_down_is_a_503_not_a_crash(api_function, monkeypatch, reset_settings, token):
    monkeypatch.setenv("DATABASE_URL", "postgresql://chatbatch@127.0.0.1:9/none")  # nothing listens on port 9
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")
    status, body = get(api_function, "/chat-rooms", token)
    assert (status, body["error"]) == (503, "database_unavailable")


# --- events/ samples ---------------------------------------------------------------------------------------


def test_the_event_samples_work_with_a_real_token(api_function, seed, token):
    room = seed.room("628111@s.whatsapp.net", at=T0, unread=1)
    seed.message(room, "m1", at=T0)

    rooms_status, rooms, _ = call(api_function, sample_event("history_list_rooms.json", token=token))
    messages_status, messages, _ = call(
        api_function, sample_event("history_list_messages.json", token=token, room_id=room)
    )
    read_status, read, _ = call(api_function, sample_event("history_mark_read.json", token=token, room_id=room))

    assert (rooms_status, [r["id"] for r in rooms["items"]]) == (200, [room])
    assert (messages_status, [m["message_id"] for m in messages["items"]]) == (200, ["m1"])
    assert (read_status, read["unread_count"]) == (200, 0)


def test_the_samples_placeholder_token_is_rejected(api_function):
    from tests.support import load_event

    assert call(api_function, load_event("history_list_rooms.json"))[0] == 401
