"""Fixtures for the sweeper: a moto SQS server (FIFO queue + DLQ per test), settings, bubbles with chosen ages."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass

import pytest
from chatbatch.adapters.queue import SqsJobQueue
from chatbatch.db import Database, connect_params_from_settings
from chatbatch.settings import SweeperSettings

os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")

CONTACT = "6281234567890@s.whatsapp.net"
BUSINESS = "6280000000000@s.whatsapp.net"


@pytest.fixture(scope="session")
def sqs_endpoint() -> str:
    from chatbatch_local.sqs import start_local_sqs

    server = start_local_sqs()
    yield server.endpoint_url
    server.stop()


@dataclass
class TestQueue:
    url: str
    endpoint_url: str

    def client(self):
        import boto3

        return boto3.client("sqs", endpoint_url=self.endpoint_url, region_name="us-east-1")

    def receive_all(self, tenant: str) -> list[dict]:
        """Consume every message on the queue (as a worker would: receive, delete); this tenant's ones.

        Deleting matters: FIFO hands out no more of a group while some of it is in flight. Scoped by tenant
        because a sweep is global: it also batches what other tests left pending."""
        sqs, messages = self.client(), []
        while batch := sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=300
        ).get("Messages", []):
            messages += batch
            sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)],
            )
        return [m for m in messages if json.loads(m["Body"])["session_tok"] == tenant]

    def job_ids(self, tenant: str) -> list[int]:
        return [json.loads(m["Body"])["job_id"] for m in self.receive_all(tenant)]


@pytest.fixture
def queue(sqs_endpoint) -> TestQueue:
    from chatbatch_local.sqs import create_queues

    url, _ = create_queues(sqs_endpoint, name=f"t-{uuid.uuid4().hex[:12]}")
    return TestQueue(url, sqs_endpoint)


@pytest.fixture
def make_settings(database_url, queue):
    def make(**overrides) -> SweeperSettings:
        # Long windows: time passes only when a test says so (chats.time_passes), never because the machine
        # is slow - bubbles are far from every threshold.
        values = {
            "database_url": database_url,
            "queue_url": queue.url,
            "sqs_endpoint_url": queue.endpoint_url,
            "debounce_seconds": 30,
            "max_wait_seconds": 300,
            "max_batch_messages": 50,
            "max_jobs_per_sweep": 10_000,
            **overrides,
        }
        return SweeperSettings(**values)

    return make


@pytest.fixture
def settings(make_settings) -> SweeperSettings:
    return make_settings()


@pytest.fixture
def sqs_queue(settings) -> SqsJobQueue:
    return SqsJobQueue.from_settings(settings)


@pytest.fixture
def db(settings):
    database = Database(connect_params_from_settings(settings))
    yield database
    database.close()


class Chats:
    """Given-steps on the database: bubbles of a chat that arrived ``age`` seconds ago (database clock)."""

    def __init__(self, pg, tenant: str) -> None:
        self.pg = pg
        self.tenant = tenant
        self._n = 0

    def bubbles(
        self, *ages: float, chat_jid: str = CONTACT, from_me: bool = False, needs_reply: bool | None = None
    ) -> list[int]:
        ids = []
        with self.pg.cursor() as cur:
            for age in sorted(ages, reverse=True):  # oldest first, like real arrivals
                self._n += 1
                cur.execute(
                    """
                    INSERT INTO ai_chat_messages (session_tok, "from", "to", chat_jid, body, message_id, from_me,
                                                  needs_reply, message_timestamp, last_activity)
                    VALUES (%s, %s, %s, %s, 'bubble', %s, %s, %s, now(), now() - make_interval(secs => %s))
                    RETURNING id
                    """,
                    (
                        self.tenant,
                        BUSINESS if from_me else chat_jid,
                        chat_jid if from_me else BUSINESS,
                        chat_jid,
                        f"m{self._n}-{uuid.uuid4().hex[:6]}",
                        from_me,
                        (not from_me) if needs_reply is None else needs_reply,
                        age,
                    ),
                )
                ids.append(cur.fetchone()[0])
        return ids

    def time_passes(self, seconds: float) -> None:
        """Age this session's bubbles instead of sleeping: the debounce reads only arrival times."""
        with self.pg.cursor() as cur:
            cur.execute(
                "UPDATE ai_chat_messages SET last_activity = last_activity - make_interval(secs => %s) "
                "WHERE session_tok = %s",
                (seconds, self.tenant),
            )

    def jobs(self) -> list[dict]:
        with self.pg.cursor() as cur:
            cur.execute(
                "SELECT id, chat_jid, status, batched_msg_ids, batch_size, is_batch, send_count, "
                "first_message_at, last_message_at, enqueued_at FROM ai_jobs WHERE session_tok = %s "
                "ORDER BY id",
                (self.tenant,),
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def arrival_range(self, message_ids: list[int]) -> tuple:
        with self.pg.cursor() as cur:
            cur.execute(
                "SELECT min(last_activity), max(last_activity) FROM ai_chat_messages WHERE id = ANY(%s)", (message_ids,)
            )
            return cur.fetchone()

    def batch_ids(self, message_ids: list[int]) -> list[int | None]:
        with self.pg.cursor() as cur:
            cur.execute("SELECT batch_id FROM ai_chat_messages WHERE id = ANY(%s) ORDER BY id", (message_ids,))
            return [row[0] for row in cur.fetchall()]


@pytest.fixture
def chats(pg, tenant) -> Chats:
    return Chats(pg, tenant)
