"""The webhook use case under concurrency: each thread is its own Lambda container with its own connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chatbatch.db import Database
from chatbatch.domain.messages import parse_webhook
from chatbatch.services.ingest import IngestResult, ingest_message

from tests.support.foundation import counts, message, room

CONTAINERS = 8


def ingest_concurrently(database_url: str, payloads: list[dict]) -> list[IngestResult]:
    """Every payload at once, one thread (and connection) each, released together by a barrier."""
    start = threading.Barrier(len(payloads))

    def deliver(payload: dict) -> IngestResult:
        db = Database(lambda: {"dsn": database_url})
        try:
            db.connection()  # connect first, so the barrier releases ready-to-write containers
            start.wait(timeout=30)
            return ingest_message(db, parse_webhook(payload), reply_groups=False)
        finally:
            db.close()

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(deliver, payloads))


def test_concurrent_duplicates_of_one_message_are_stored_once(database_url, pg, tenant):
    # Given the gateway delivers the same message 8 times at once (retries racing the first delivery)
    payloads = [message(tenant, "same-id", timestamp=1795694400)] * CONTAINERS

    # When 8 containers ingest them concurrently
    results = ingest_concurrently(database_url, payloads)

    # Then exactly one is accepted, the others are duplicates, and every table holds the message once
    assert sorted(r.status for r in results) == ["accepted"] + ["duplicate"] * (CONTAINERS - 1)
    assert counts(pg, tenant) == (1, 1, 1)
    assert room(pg, tenant)["unread_count"] == 1


def test_unread_counts_every_concurrent_message_of_one_chat(database_url, pg, tenant):
    # Given a contact's burst of 8 distinct bubbles in one chat
    payloads = [message(tenant, f"bubble-{i}", body=f"part {i}", timestamp=1795694400 + i) for i in range(CONTAINERS)]

    # When they arrive concurrently in 8 containers
    results = ingest_concurrently(database_url, payloads)

    # Then all are accepted into one room whose unread count and last message account for every bubble
    assert [r.status for r in results] == ["accepted"] * CONTAINERS
    assert len({r.chat_room_id for r in results}) == 1
    assert counts(pg, tenant) == (CONTAINERS, 1, CONTAINERS)
    r = room(pg, tenant)
    assert (r["unread_count"], r["last_message"]) == (CONTAINERS, f"part {CONTAINERS - 1}")
