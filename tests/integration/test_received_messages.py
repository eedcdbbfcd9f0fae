"""The store reports facts, the use case decides: a room key another tenant owns is an outcome of the store (nothing
written), which the webhook's use case turns into its 422 (tests/integration/test_webhook.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from chatbatch.db import Database
from chatbatch.domain.messages import parse_webhook
from chatbatch.store import chat_rooms, received_messages

from tests.support.foundation import CONTACT, counts, message

NOT_GROUPS = received_messages.Replying(with_groups=True, without_groups=True, groups=False)


def test_a_room_key_of_another_tenant_is_an_outcome_and_nothing_is_written(database_url, pg, tenant):
    # Given another tenant's (legacy) room carrying this chat's key
    with pg.cursor() as cur:
        cur.execute(
            "INSERT INTO chat_rooms (chat_id, user_token, contact_jid, chat_type, last_message, last_activity)"
            " VALUES (%s, 'someone-else', %s, 'individual', 'theirs', now())",
            (f"{tenant}_{CONTACT}", CONTACT),
        )
    db = Database(lambda: {"dsn": database_url})
    try:
        # When the store is asked to store a message of that chat, and to move that room
        msg = parse_webhook(message(tenant, "m1"))
        received = db.statements(lambda cur: received_messages.store(cur, msg, replying=NOT_GROUPS, human=False))
        moved = db.transaction(
            lambda cur: chat_rooms.upsert_for_message(
                cur,
                at=datetime.now(UTC),
                chat_id=msg.chat_id,
                tenant=tenant,
                contact_jid=CONTACT,
                contact_name=None,
                is_group=False,
                content="x",
                sender_type="ai",
                unread_increment=0,
            )
        )
    finally:
        db.close()

    # Then it says so, raises nothing, and nothing was written
    assert received == received_messages.Received("room_key_taken")
    assert moved is None
    assert counts(pg, tenant) == (0, 0, 0)
