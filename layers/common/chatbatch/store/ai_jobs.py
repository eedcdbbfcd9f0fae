"""SQL for ai_jobs: one row per AI reply job, and the sweeper's outbox to SQS.

Status machine (docs/contracts.md): pending -> enqueued -> generating -> replied -> done; skipped / failed are terminal.
The sweeper writes ``pending`` jobs, sends them, and re-sends a job that stays in flight far too long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chatbatch.db import Cursor, transaction_time
from chatbatch.domain.cost_guards import LlmUsage
from chatbatch.domain.debounce import Batch
from chatbatch.domain.jobs import IN_FLIGHT, JobStateConflict, JobStatus, sql_values, statuses_before

# Every status the SQL below names, as parameters (psycopg2 writes them into the statement as literals, so the
# planner matches "status IN %(in_flight)s" with the predicate of the partial index ai_jobs_in_flight, 0002).
_STATUSES = {
    "pending": JobStatus.PENDING.value,
    "enqueued": JobStatus.ENQUEUED.value,
    "failed": JobStatus.FAILED.value,
    "in_flight": sql_values(IN_FLIGHT),
    "finished": sql_values(s for s in JobStatus if s.terminal),
}


@dataclass(frozen=True)
class CreatedJob:
    id: int
    batch: Batch


@dataclass(frozen=True)
class DueJob:
    """A job the outbox should send now: never sent (``pending``), or in flight and untouched for too long."""

    id: int
    tenant: str
    chat_jid: str
    status: str
    send_count: int  # successful sends so far: the generation of the next send


@dataclass(frozen=True)
class SentJob:
    id: int
    resend: bool  # a deliberate re-send of a stuck job
    last_message_at: datetime | None
    enqueued_at: datetime
    debounce_seconds: float | None = None  # the tenant's own debounce window (tenant_settings); None: the default's


def insert_batches(cur: Cursor, batches: list[Batch]) -> list[CreatedJob]:
    """One ``pending`` job per batch (one batch per chat), and its bubbles marked taken by it (``is_batched``,
    ``batch_id``): ONE statement for every batch of the sweep, whatever their number.

    Each job's bubble ids travel as one small array literal (an array of arrays of different lengths is not a
    Postgres array). Raises, so the transaction rolls back, if a bubble was no longer pending: only something
    other than a chat-locked sweep could have taken it, and a bubble is never put in two jobs.
    """
    if not batches:
        return []
    cur.execute(
        """
        WITH batch AS (
            SELECT *
              FROM unnest(%(toks)s::text[], %(jids)s::text[], %(ids)s::text[],
                          %(first_at)s::timestamptz[], %(last_at)s::timestamptz[])
                   WITH ORDINALITY AS b (session_tok, chat_jid, ids, first_at, last_at, position)
        ), jobs AS (
            INSERT INTO ai_jobs (session_tok, chat_jid, status, is_batch, batched_msg_ids, batch_size,
                                 first_message_at, last_message_at)
            SELECT session_tok, chat_jid, %(pending)s, true, ids::bigint[], cardinality(ids::bigint[]),
                   first_at, last_at
              FROM batch
             ORDER BY position
            RETURNING id, session_tok, chat_jid, batched_msg_ids
        ), taken AS (
            UPDATE ai_chat_messages m
               SET is_batched = true, batch_id = j.id
              FROM jobs j CROSS JOIN LATERAL unnest(j.batched_msg_ids) AS b (message_id)
             WHERE m.id = b.message_id AND m.needs_reply AND NOT m.is_batched
            RETURNING m.id
        )
        SELECT id, session_tok, chat_jid, (SELECT count(*) FROM taken) FROM jobs
        """,
        {
            **_STATUSES,
            "toks": [b.tenant for b in batches],
            "jids": [b.chat_jid for b in batches],
            "ids": ["{" + ",".join(map(str, b.message_ids)) + "}" for b in batches],
            "first_at": [b.first_message_at for b in batches],
            "last_at": [b.last_message_at for b in batches],
        },
    )
    rows = cur.fetchall()
    bubbles = sum(b.size for b in batches)
    if rows[0][3] != bubbles:
        raise RuntimeError(f"expected to batch {bubbles} messages, batched {rows[0][3]}")
    by_chat = {(b.tenant, b.chat_jid): b for b in batches}
    return [CreatedJob(job_id, by_chat[(tenant, jid)]) for job_id, tenant, jid, _ in rows]


def claim_due(
    cur: Cursor,
    *,
    stuck_after_seconds: float,
    lost_after_seconds: float,
    max_sends: int,
    limit: int,
    claimed: Sequence[int] = (),
) -> tuple[list[DueJob], list[int]]:
    """Lock the jobs to send now (``FOR UPDATE SKIP LOCKED``: a concurrent sweep takes the others) and fail the
    lost ones. Returns (jobs to send, ids failed now).

    Due: every ``pending`` job, and a job in flight that no worker holds (no live lease), untouched for
    ``stuck_after_seconds``, sent fewer than ``max_sends`` times: a re-send is harmless (the worker ignores a
    second message of a job) and revives a job whose message died. Lost: in flight with no live lease and last
    sent ``lost_after_seconds`` ago (the queue's retention: no message of it can exist any more) - failed, with
    the reason. A job waiting behind a busy worker, or held by a slow one, is never failed here.

    The locks are held until the caller's transaction ends, i.e. across the SQS call: no two sweeps send
    the same job, and one that crashes before committing leaves it due for the next sweep. ``claimed``: jobs this
    transaction claimed before (its own locks do not skip them, and they are still due until it records them).
    """
    cur.execute(
        """
        WITH due AS (
            SELECT id, session_tok, chat_jid, status, send_count,
                   status <> %(pending)s
                   AND enqueued_at <= now() - make_interval(secs => %(lost_after_seconds)s) AS lost
            FROM ai_jobs
            WHERE status IN %(in_flight)s
              AND (status = %(pending)s
                   OR (COALESCE(lease_until <= now(), true)
                       AND GREATEST(enqueued_at, started_at, updated_at)
                           <= now() - make_interval(secs => %(stuck_after_seconds)s)
                       AND (send_count < %(max_sends)s
                            OR enqueued_at <= now() - make_interval(secs => %(lost_after_seconds)s))))
              AND NOT id = ANY(%(claimed)s::bigint[])
            ORDER BY id
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        ),
        failed AS (
            UPDATE ai_jobs j
            SET status = %(failed)s, completed_at = clock_timestamp(), updated_at = clock_timestamp(),
                error = format('lost: still %%s, and its last send to the queue (%%s in all) was over %%s s ago, '
                               'so no message of it can be left (expired, or dead-lettered while the job could '
                               'not be closed)', j.status, j.send_count, %(lost_after_seconds)s)
            FROM due
            WHERE j.id = due.id AND due.lost
            RETURNING j.id
        )
        SELECT id, session_tok, chat_jid, status, send_count, lost FROM due ORDER BY id
        """,
        {
            **_STATUSES,
            "stuck_after_seconds": stuck_after_seconds,
            "lost_after_seconds": lost_after_seconds,
            "max_sends": max_sends,
            "limit": limit,
            "claimed": list(claimed),
        },
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
        SET status = CASE WHEN status = %(pending)s THEN %(enqueued)s ELSE status END,
            send_count = send_count + 1,
            enqueued_at = clock_timestamp(),
            updated_at = clock_timestamp()
        WHERE id = ANY(%(ids)s::bigint[])
        RETURNING id, send_count > 1, last_message_at, enqueued_at,
                  (SELECT t.debounce_seconds FROM tenant_settings t WHERE t.session_tok = ai_jobs.session_tok)
        """,
        {**_STATUSES, "ids": job_ids},
    )
    return sorted((SentJob(*row) for row in cur.fetchall()), key=lambda job: job.id)


# ---------------------------------------------------------------------------------------------------------------
# The worker: take a job, record the LLM's reply, record the send. Each guarded by the state machine, so a
# redelivered or concurrent message cannot move a job backwards.


@dataclass(frozen=True)
class JobRow:
    id: int
    tenant: str
    chat_jid: str
    status: JobStatus
    bubble_ids: tuple[int, ...]
    reply: str | None
    lease_left_seconds: float  # > 0: a worker holds the job right now, for that much longer

    @property
    def leased(self) -> bool:
        return self.lease_left_seconds > 0


def lock(cur: Cursor, job_id: int) -> JobRow | None:
    """The job, row-locked until the transaction ends (None when there is no such job)."""
    cur.execute(
        """
        SELECT id, session_tok, chat_jid, status, batched_msg_ids, reply,
               GREATEST(COALESCE(EXTRACT(EPOCH FROM lease_until - now()), 0), 0)::float8
          FROM ai_jobs WHERE id = %s FOR UPDATE
        """,
        (job_id,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    return JobRow(row[0], row[1], row[2], JobStatus(row[3]), tuple(row[4]), row[5], row[6])


def take(cur: Cursor, job_id: int, *, to: JobStatus, lease: timedelta, asks_llm: bool = False) -> None:
    """A worker takes the job (``generating``, or ``replied`` to re-send): one more attempt, a fresh lease.
    ``asks_llm``: this attempt goes to the LLM (the cost guards count it from now on)."""
    asked = ", llm_asked_at = now()" if asks_llm else ""
    _update(
        cur,
        job_id,
        to,
        f"attempts = attempts + 1, started_at = now(), lease_until = now() + %(lease)s{asked}",
        lease=lease,
    )


def llm_usage(cur: Cursor, job: JobRow, *, time_zone: str) -> LlmUsage:
    """Before ``job`` asks the LLM: the other jobs of its chat that asked it in the last hour, and its tenant's
    LLM tokens since midnight in ``time_zone`` (one range scan of ai_jobs_llm_asked)."""
    cur.execute(
        """
        WITH bounds AS (
            SELECT now() - interval '1 hour' AS hour_ago,
                   date_trunc('day', now() AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s AS midnight
        )
        SELECT count(*) FILTER (WHERE chat_jid = %(chat)s AND id <> %(job)s AND llm_asked_at > bounds.hour_ago),
               COALESCE(sum(COALESCE(llm_tokens_in, 0) + COALESCE(llm_tokens_out, 0))
                        FILTER (WHERE llm_asked_at >= bounds.midnight), 0)
          FROM ai_jobs, bounds
         WHERE session_tok = %(tok)s AND llm_asked_at >= LEAST(bounds.hour_ago, bounds.midnight)
        """,
        {"tok": job.tenant, "chat": job.chat_jid, "job": job.id, "tz": time_zone},
    )
    replies, tokens = cur.fetchone()
    return LlmUsage(chat_replies_last_hour=replies, tenant_tokens_today=int(tokens))


def save_reply(
    cur: Cursor, job_id: int, *, text: str, provider: str, model: str, tokens_in: int, tokens_out: int, latency_ms: int
) -> None:
    """The LLM's answer, saved before anything is sent: a retry re-sends it instead of asking again."""
    _update(
        cur,
        job_id,
        JobStatus.REPLIED,
        "reply = %(text)s, llm_provider = %(provider)s, llm_model = %(model)s, llm_tokens_in = %(tin)s,"
        " llm_tokens_out = %(tout)s, llm_latency_ms = %(ms)s, replied_at = now(), error = NULL",
        text=text,
        provider=provider,
        model=model,
        tin=tokens_in,
        tout=tokens_out,
        ms=latency_ms,
    )


def mark_sending(cur: Cursor, job_id: int) -> None:
    """The reply is about to be handed to the gateway: its echo may arrive from now on."""
    cur.execute("UPDATE ai_jobs SET sending_at = now(), updated_at = now() WHERE id = %s", (job_id,))


def mark_done(cur: Cursor, job_id: int, *, reply_message_id: str) -> datetime:
    """Sent and saved to the history; the time it was recorded."""
    _update(
        cur,
        job_id,
        JobStatus.DONE,
        "reply_message_id = %(mid)s, reply_sent_at = now(), completed_at = now(), lease_until = NULL, error = NULL",
        mid=reply_message_id,
    )
    return transaction_time(cur)


def mark_skipped(cur: Cursor, job_id: int, *, reason: str) -> None:
    _update(cur, job_id, JobStatus.SKIPPED, "error = %(why)s, completed_at = now(), lease_until = NULL", why=reason)


def mark_failed(cur: Cursor, job_id: int, *, error: str) -> bool:
    """Give up on a job that is not finished yet; False when it already was (or does not exist)."""
    return _update(
        cur,
        job_id,
        JobStatus.FAILED,
        "error = %(why)s, completed_at = now(), lease_until = NULL",
        why=error,
        strict=False,
    )


def release(cur: Cursor, job_id: int, *, error: str) -> None:
    """A failed attempt: record why and give the lease up, so the retry need not wait for it to run out."""
    cur.execute(
        "UPDATE ai_jobs SET error = %(error)s, lease_until = NULL, updated_at = now()"
        " WHERE id = %(id)s AND status NOT IN %(finished)s",
        {**_STATUSES, "error": error, "id": job_id},
    )


def _update(
    cur: Cursor, job_id: int, to: JobStatus, assignments: str, *, strict: bool = True, **params: object
) -> bool:
    cur.execute(
        f"UPDATE ai_jobs SET status = %(to)s, {assignments}, updated_at = now()"
        " WHERE id = %(id)s AND status IN %(allowed)s",
        {"to": to.value, "id": job_id, "allowed": statuses_before(to), **params},
    )
    if strict and cur.rowcount != 1:
        raise JobStateConflict(f"job {job_id} cannot move to {to.value} from its current status")
    return cur.rowcount == 1


# ---------------------------------------------------------------------------------------------------------------
# Operator retries (the console): a failed job is superseded by a new job for the same bubbles.


def insert_retry(cur: Cursor, job_id: int) -> int | None:
    """A new ``pending`` job for the bubbles of failed job ``job_id`` (the sweeper's outbox sends it); its id, or
    None when that job is not failed or already has a retry (the unique index on retry_of decides a race)."""
    cur.execute(
        """
        INSERT INTO ai_jobs (session_tok, chat_jid, status, is_batch, batched_msg_ids, batch_size,
                             first_message_at, last_message_at, retry_of)
        SELECT session_tok, chat_jid, %(pending)s, is_batch, batched_msg_ids, batch_size,
               first_message_at, last_message_at, id
          FROM ai_jobs WHERE id = %(id)s AND status = %(failed)s
        ON CONFLICT (retry_of) WHERE retry_of IS NOT NULL DO NOTHING
        RETURNING id
        """,
        {**_STATUSES, "id": job_id},
    )
    row = cur.fetchone()
    return row[0] if row else None
