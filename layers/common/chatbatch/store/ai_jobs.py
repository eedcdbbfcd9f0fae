"""SQL for ai_jobs: one row per AI reply job, and the sweeper's outbox to SQS.

Status machine (CONTRACTS): pending -> enqueued -> generating -> replied -> done; skipped / failed are terminal.
The sweeper writes ``pending`` jobs, sends them, and re-sends a job that stays in flight far too long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg2.extras import execute_values

from chatbatch.db import Cursor
from chatbatch.domain.debounce import Batch

# The predicate of the partial index ai_jobs_in_flight (migration 0002): keep the two identical.
_IN_FLIGHT = "status IN ('pending', 'enqueued', 'generating', 'replied')"


@dataclass(frozen=True)
class CreatedJob:
    id: int
    batch: Batch


@dataclass(frozen=True)
class DueJob:
    """A job the outbox should send now: never sent (``pending``), or in flight and untouched for too long."""

    id: int
    session_tok: str
    chat_jid: str
    status: str
    send_count: int  # successful sends so far: the generation of the next send


@dataclass(frozen=True)
class SentJob:
    id: int
    resend: bool                            # a deliberate re-send of a stuck job
    last_message_at: datetime | None
    enqueued_at: datetime


def insert_batches(cur: Cursor, batches: list[Batch]) -> list[CreatedJob]:
    """One ``pending`` job per batch (one batch per chat), in the given order."""
    rows = execute_values(
        cur,
        """
        INSERT INTO ai_jobs (session_tok, chat_jid, status, is_batch, batched_msg_ids, batch_size,
                             first_message_at, last_message_at)
        VALUES %s
        RETURNING id, session_tok, chat_jid
        """,
        [
            (b.session_tok, b.chat_jid, "pending", True, list(b.message_ids), b.size, b.first_message_at,
             b.last_message_at)
            for b in batches
        ],
        template="(%s, %s, %s, %s, %s::bigint[], %s, %s, %s)",
        page_size=max(1, len(batches)),
        fetch=True,
    )
    by_chat = {(b.session_tok, b.chat_jid): b for b in batches}
    return [CreatedJob(job_id, by_chat[(tok, jid)]) for job_id, tok, jid in rows]


def claim_due(cur: Cursor, *, stuck_after_seconds: float, max_sends: int, limit: int) -> tuple[list[DueJob], list[int]]:
    """Lock the jobs to send now (``FOR UPDATE SKIP LOCKED``: a concurrent sweep takes the others) and fail
    the stuck ones that were already sent ``max_sends`` times. Returns (jobs to send, ids failed now).

    The locks are held until the caller's transaction ends, i.e. across the SQS call: no two sweeps send
    the same job, and one that crashes before committing leaves it due for the next sweep.
    """
    cur.execute(
        f"""
        WITH due AS (
            SELECT id, session_tok, chat_jid, status, send_count,
                   status <> 'pending' AND send_count >= %(max_sends)s AS exhausted
            FROM ai_jobs
            WHERE {_IN_FLIGHT}
              AND (status = 'pending'
                   OR GREATEST(enqueued_at, started_at, updated_at)
                      <= now() - make_interval(secs => %(stuck_after_seconds)s))
            ORDER BY id
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        ),
        failed AS (
            UPDATE ai_jobs j
            SET status = 'failed', completed_at = clock_timestamp(), updated_at = clock_timestamp(),
                error = format('stuck in %%s after %%s sends to the queue: no worker finished it',
                               j.status, j.send_count)
            FROM due
            WHERE j.id = due.id AND due.exhausted
            RETURNING j.id
        )
        SELECT id, session_tok, chat_jid, status, send_count, exhausted FROM due ORDER BY id
        """,
        {"stuck_after_seconds": stuck_after_seconds, "max_sends": max_sends, "limit": limit},
    )
    rows = cur.fetchall()
    due = [DueJob(*row[:5]) for row in rows if not row[5]]
    return due, [row[0] for row in rows if row[5]]


def mark_sent(cur: Cursor, job_ids: list[int]) -> list[SentJob]:
    """Record a successful send: a ``pending`` job becomes ``enqueued``; a re-sent job keeps its status (a
    worker may hold a saved reply) and gets a fresh ``enqueued_at``. Database clock at the moment of the send."""
    if not job_ids:
        return []
    cur.execute(
        """
        UPDATE ai_jobs
        SET status = CASE WHEN status = 'pending' THEN 'enqueued' ELSE status END,
            send_count = send_count + 1,
            enqueued_at = clock_timestamp(),
            updated_at = clock_timestamp()
        WHERE id = ANY(%s::bigint[])
        RETURNING id, send_count > 1, last_message_at, enqueued_at
        """,
        (job_ids,),
    )
    return sorted((SentJob(*row) for row in cur.fetchall()), key=lambda job: job.id)
