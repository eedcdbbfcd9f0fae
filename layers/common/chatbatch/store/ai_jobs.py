"""SQL for ai_jobs: one row per AI reply job (CONTRACTS.md state machine, enforced in domain/jobs.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chatbatch.db import Cursor
from chatbatch.domain.jobs import JobStateConflict, JobStatus, statuses_before
from chatbatch.domain.takeover import SentReply

# ---------------------------------------------------------------------------------------------------------------
# Creating a job (the sweeper's real batching lives in its own service; this is the plain insert it, the tests and
# the benchmark share).


def insert(cur: Cursor, *, session_tok: str, chat_jid: str, bubble_ids: Sequence[int]) -> int:
    """A pending job for these bubbles (ai_chat_messages ids, oldest first); its id."""
    cur.execute(
        """
        INSERT INTO ai_jobs (session_tok, chat_jid, status, batched_msg_ids, batch_size,
                             first_message_at, last_message_at)
        SELECT %(s)s, %(c)s, 'pending', %(ids)s, cardinality(%(ids)s::bigint[]), min(last_activity), max(last_activity)
          FROM ai_chat_messages WHERE id = ANY(%(ids)s)
        RETURNING id
        """,
        {"s": session_tok, "c": chat_jid, "ids": list(bubble_ids)},
    )
    return cur.fetchone()[0]


# ---------------------------------------------------------------------------------------------------------------
# The worker: take a job, record the LLM's reply, record the send. Each guarded by the state machine, so a
# redelivered or concurrent message cannot move a job backwards.


@dataclass(frozen=True)
class JobRow:
    id: int
    session_tok: str
    chat_jid: str
    status: JobStatus
    bubble_ids: tuple[int, ...]
    reply: str | None
    leased: bool  # a worker holds the job right now


def lock(cur: Cursor, job_id: int) -> JobRow | None:
    """The job, row-locked until the transaction ends (None when there is no such job)."""
    cur.execute(
        """
        SELECT id, session_tok, chat_jid, status, batched_msg_ids, reply, COALESCE(lease_until > now(), false)
          FROM ai_jobs WHERE id = %s FOR UPDATE
        """,
        (job_id,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    return JobRow(row[0], row[1], row[2], JobStatus(row[3]), tuple(row[4]), row[5], row[6])


def take(cur: Cursor, job_id: int, *, to: JobStatus, lease: timedelta) -> None:
    """A worker takes the job (``generating``, or ``replied`` to re-send): one more attempt, a fresh lease."""
    _update(cur, job_id, to,
            "attempts = attempts + 1, started_at = now(), lease_until = now() + %(lease)s", lease=lease)


def save_reply(cur: Cursor, job_id: int, *, text: str, provider: str, model: str, tokens_in: int, tokens_out: int,
               latency_ms: int) -> None:
    """The LLM's answer, saved before anything is sent: a retry re-sends it instead of asking again."""
    _update(cur, job_id, JobStatus.REPLIED,
            "reply = %(text)s, llm_provider = %(provider)s, llm_model = %(model)s, llm_tokens_in = %(tin)s,"
            " llm_tokens_out = %(tout)s, llm_latency_ms = %(ms)s, replied_at = now(), error = NULL",
            text=text, provider=provider, model=model, tin=tokens_in, tout=tokens_out, ms=latency_ms)


def mark_sending(cur: Cursor, job_id: int) -> None:
    """The reply is about to be handed to the gateway: its echo may arrive from now on."""
    cur.execute("UPDATE ai_jobs SET sending_at = now(), updated_at = now() WHERE id = %s", (job_id,))


def mark_done(cur: Cursor, job_id: int, *, reply_message_id: str) -> datetime:
    """Sent and saved to the history; the time it was recorded."""
    _update(cur, job_id, JobStatus.DONE,
            "reply_message_id = %(mid)s, reply_sent_at = now(), completed_at = now(), lease_until = NULL,"
            " error = NULL", mid=reply_message_id)
    cur.execute("SELECT now()")
    return cur.fetchone()[0]


def mark_skipped(cur: Cursor, job_id: int, *, reason: str) -> None:
    _update(cur, job_id, JobStatus.SKIPPED, "error = %(why)s, completed_at = now(), lease_until = NULL", why=reason)


def mark_failed(cur: Cursor, job_id: int, *, error: str) -> bool:
    """Give up on a job that is not finished yet; False when it already was (or does not exist)."""
    return _update(cur, job_id, JobStatus.FAILED,
                   "error = %(why)s, completed_at = now(), lease_until = NULL", why=error, strict=False)


def release(cur: Cursor, job_id: int, *, error: str) -> None:
    """A failed attempt: record why and give the lease up, so the retry need not wait for it to run out."""
    cur.execute(
        "UPDATE ai_jobs SET error = %s, lease_until = NULL, updated_at = now()"
        " WHERE id = %s AND status NOT IN ('done', 'skipped', 'failed')",
        (error, job_id),
    )


def _update(cur: Cursor, job_id: int, to: JobStatus, assignments: str, *, strict: bool = True, **params: object) -> bool:
    cur.execute(
        f"UPDATE ai_jobs SET status = %(to)s, {assignments}, updated_at = now()"
        " WHERE id = %(id)s AND status IN %(allowed)s",
        {"to": to.value, "id": job_id, "allowed": statuses_before(to), **params},
    )
    if strict and cur.rowcount != 1:
        raise JobStateConflict(f"job {job_id} cannot move to {to.value} from its current status")
    return cur.rowcount == 1


# ---------------------------------------------------------------------------------------------------------------
# Echo recognition (the webhook): the replies the bot handed to the gateway in one chat.


def sent_replies(cur: Cursor, *, session_tok: str, chat_jid: str, message_id: str,
                 within: timedelta) -> tuple[list[SentReply], datetime]:
    """Replies of this chat that carry ``message_id`` or were handed over ``within`` before now; and now."""
    cur.execute(
        """
        SELECT reply, reply_message_id, sending_at, now()
          FROM ai_jobs
         WHERE session_tok = %(s)s AND chat_jid = %(c)s AND reply IS NOT NULL AND sending_at IS NOT NULL
           AND (reply_message_id = %(mid)s OR sending_at >= now() - %(within)s)
        """,
        {"s": session_tok, "c": chat_jid, "mid": message_id, "within": within},
    )
    rows = cur.fetchall()
    if not rows:
        cur.execute("SELECT now()")
        return [], cur.fetchone()[0]
    return [SentReply(text=r[0], message_id=r[1], sending_at=r[2]) for r in rows], rows[0][3]
