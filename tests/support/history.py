"""Test helpers of the chat-history API: seeding rooms and messages, building requests, calling the handler."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from chatbatch_local.lambda_runtime import LambdaContext, http_api_event

from tests.support import load_event


class HistorySeed:
    """Rooms and messages of one tenant, inserted directly (times chosen by the test, ties included)."""

    def __init__(self, pg, tenant: str) -> None:
        self.pg = pg
        self.tenant = tenant

    def room(
        self, contact_jid: str, *, at: str, unread: int = 0, name: str | None = "Budi", last_message: str = "Halo"
    ) -> int:
        with self.pg.cursor() as cur:
            cur.execute(
                """
                INSERT INTO chat_rooms (chat_id, user_token, contact_jid, contact_name, chat_type, is_group,
                                        last_message, last_sender, last_activity, unread_count)
                VALUES (%s, %s, %s, %s, 'individual', false, %s, 'contact', %s, %s) RETURNING id
                """,
                (f"{self.tenant}_{contact_jid}", self.tenant, contact_jid, name, last_message, at, unread),
            )
            return cur.fetchone()[0]

    def rooms(self, count: int, *, at: str) -> list[int]:
        """``count`` rooms, all with the same last activity (the tie the id must break)."""
        return [self.room(f"62812{i:08d}@s.whatsapp.net", at=at) for i in range(count)]

    def message(
        self, room_id: int, message_id: str, *, at: str, content: str = "Halo", sender_type: str = "contact"
    ) -> int:
        with self.pg.cursor() as cur:
            cur.execute(
                """
                INSERT INTO chat_messages (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,
                                           message_type, content, status, message_timestamp)
                SELECT %s, r.id, r.chat_id, r.user_token, r.contact_jid, %s, 'text', %s, 'received', %s
                  FROM chat_rooms r WHERE r.id = %s
                RETURNING id
                """,
                (message_id, sender_type, content, at, room_id),
            )
            return cur.fetchone()[0]


def history_request(
    method: str, path: str, *, token: str | None, query: dict | None = None, headers: dict | None = None
) -> dict:
    all_headers = {"accept": "application/json", **(headers or {})}
    if token is not None:
        all_headers["authorization"] = f"Bearer {token}"
    return http_api_event(method, path, urlencode(query or {}), all_headers, b"")


def sample_event(name: str, *, token: str, room_id: int | None = None) -> dict:
    """An events/ sample with the test's token (and room id in place of the sample's room 1)."""
    event = load_event(name)
    event["headers"]["authorization"] = f"Bearer {token}"
    if room_id is not None:
        path = event["rawPath"].replace("/chat-rooms/1/", f"/chat-rooms/{room_id}/")
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["pathParameters"] = {"id": str(room_id)}
    return event


def call(function, event: dict) -> tuple[int, dict, dict]:
    """Status, JSON body and headers of the handler's answer."""
    response = function.lambda_handler(event, LambdaContext(function_name="test"))
    return response["statusCode"], json.loads(response.get("body") or "null"), response.get("headers") or {}
