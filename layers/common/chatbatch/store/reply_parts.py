"""SQL for reply_parts: the WhatsApp messages a reply is sent as, each with its hand-overs, id and echoes.

``pending`` → ``sending`` (handed to the gateway; written BEFORE the call) → ``sent``; a refused hand-over goes
back to ``pending``. The rules are chatbatch/domain/sending.py; the webhook's echo lookup reads this table too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from psycopg2.extras import execute_values

from chatbatch.db import Cursor, transaction_time
from chatbatch.domain.jobs import JobStatus
from chatbatch.domain.sending import PartStatus, ReplyPart, message_key

_PART_COLUMNS = "job_id, position, text, status, sending_at, message_id, echo_ids"
_FINISHED = tuple(status.value for status in JobStatus if status.terminal)
_PART_STATUSES = {status.name.lower(): status.value for status in PartStatus}  # SQL never spells a status


def _part(row: tuple) -> ReplyPart:
    return ReplyPart(row[0], row[1], row[2], PartStatus(row[3]), row[4], row[5], tuple(row[6]))


def insert(cur: Cursor, job_id: int, *, tenant: str, chat_jid: str, texts: Sequence[str]) -> None:
    """The parts of a job's reply, in order. Saved once: a repeated save keeps the first split."""
    execute_values(
        cur,
        "INSERT INTO reply_parts (job_id, position, session_tok, chat_jid, text) VALUES %s"
        " ON CONFLICT (job_id, position) DO NOTHING",
        [(job_id, position, tenant, chat_jid, text) for position, text in enumerate(texts, start=1)],
    )


def of_job(cur: Cursor, job_id: int) -> tuple[list[ReplyPart], datetime]:
    """The job's parts in order, and the database's now (the clock ``sending_at`` was written with)."""
    cur.execute(
        f"SELECT {_PART_COLUMNS}, now() FROM reply_parts WHERE job_id = %s ORDER BY position",
        (job_id,),
    )
    rows = cur.fetchall()
    if not rows:
        return [], transaction_time(cur)
    return [_part(row) for row in rows], rows[0][-1]


def handed_over_sql(job_id: str) -> str:
    """SQL counting the parts of job ``job_id`` (an SQL expression) handed to the gateway: ``sent``, or ``sending``
    with an unknown outcome — each may have reached the customer. For the read side too (views.py)."""
    return (
        f"(SELECT count(*) FROM reply_parts p WHERE p.job_id = {job_id}"
        f" AND p.status IN ('{PartStatus.SENDING.value}', '{PartStatus.SENT.value}'))"
    )


def count(cur: Cursor, job_id: int) -> int:
    """How many parts the job's reply was split into (0: none saved yet)."""
    cur.execute("SELECT count(*) FROM reply_parts WHERE job_id = %s", (job_id,))
    return cur.fetchone()[0]


def lock(cur: Cursor, job_id: int, position: int) -> ReplyPart:
    """One part as it is now (its echoes may have arrived meanwhile), row-locked until the transaction ends."""
    cur.execute(
        f"SELECT {_PART_COLUMNS} FROM reply_parts WHERE job_id = %s AND position = %s FOR UPDATE", (job_id, position)
    )
    return _part(cur.fetchone())


def hand_over(cur: Cursor, job_id: int, position: int) -> None:
    """The part is about to be handed to the gateway: from now on it may reach WhatsApp (and be echoed)."""
    cur.execute(
        "UPDATE reply_parts SET status = %(sending)s, handovers = handovers + 1, sending_at = now()"
        " WHERE job_id = %(job)s AND position = %(position)s AND status <> %(sent)s",
        {**_PART_STATUSES, "job": job_id, "position": position},
    )


def refused(cur: Cursor, job_id: int, position: int) -> None:
    """The gateway answered that it did not take the part: it never reached WhatsApp."""
    cur.execute(
        "UPDATE reply_parts SET status = %(pending)s, handovers = GREATEST(handovers - 1, 0)"
        " WHERE job_id = %(job)s AND position = %(position)s AND status = %(sending)s",
        {**_PART_STATUSES, "job": job_id, "position": position},
    )


def mark_sent(cur: Cursor, job_id: int, position: int, *, message_id: str) -> datetime:
    """The part went out as ``message_id``; the time it was recorded."""
    cur.execute(
        "UPDATE reply_parts SET status = %(sent)s, sent_at = now(), message_id = %(id)s, message_key = %(key)s"
        " WHERE job_id = %(job)s AND position = %(position)s RETURNING sent_at",
        {**_PART_STATUSES, "id": message_id, "key": message_key(message_id), "job": job_id, "position": position},
    )
    return cur.fetchone()[0]


# ---------------------------------------------------------------------------------------------------------------
# Echo recognition (the webhook): the parts the bot handed to the gateway in one chat.


# Parts of a chat whose id is the echo's or that were handed over ``within`` before now, as ``SentReply`` rows (its
# fields in order); named parameters: session_tok, chat_jid, key (the echo's message key), within, finished.
ECHO_CANDIDATES = """
    SELECT p.text, p.message_id, p.sending_at, p.job_id, p.position, p.handovers, p.echo_ids,
           p.status = %(sent)s AS recorded, COALESCE(j.status IN %(finished)s, false) AS job_finished
      FROM reply_parts AS p
      LEFT JOIN ai_jobs AS j ON j.id = p.job_id
     WHERE p.session_tok = %(session_tok)s AND p.chat_jid = %(chat_jid)s AND p.sending_at IS NOT NULL
       AND (p.message_key = %(key)s OR p.sending_at >= now() - %(within)s)
"""


def echo_candidate_params(message_id: str) -> dict:
    return {**_PART_STATUSES, "key": message_key(message_id), "finished": _FINISHED}


# The echo of a part arrived (named parameters: message_id, echo_job, echo_position, echo_session: the part's
# tenant, or NULL for any); ``{guard}`` adds a condition (a statement that stores the echo too).
_RECORD_ECHO = """
    UPDATE reply_parts SET echo_ids = array_append(echo_ids, %(message_id)s)
     WHERE job_id = %(echo_job)s AND position = %(echo_position)s AND NOT (%(message_id)s = ANY(echo_ids))
       AND (%(echo_session)s::text IS NULL OR session_tok = %(echo_session)s){guard}
"""


def record_echo_statement(*, guard: str = "") -> str:
    return _RECORD_ECHO.format(guard=guard)


def record_echo_params(job_id: int, position: int, *, message_id: str, tenant: str | None = None) -> dict:
    return {"message_id": message_id, "echo_job": job_id, "echo_position": position, "echo_session": tenant}


def record_echo(cur: Cursor, job_id: int, position: int, *, message_id: str, tenant: str | None = None) -> bool:
    """The gateway's echo of this part (of the tenant ``session_tok``, when given) arrived as ``message_id``.
    False when there is no such part or the echo was known already."""
    cur.execute(
        record_echo_statement(),
        record_echo_params(job_id, position, message_id=message_id, tenant=tenant),
    )
    return cur.rowcount == 1
