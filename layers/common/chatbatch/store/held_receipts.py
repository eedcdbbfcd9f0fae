"""SQL for held_receipts: receipts that arrived before the message they name was in the history (migration 0021).

Keyed by the tenant and WhatsApp's key of the message (``whatsapp_message_key``, migration 0020), so the message
is found whatever form of its id the receipt and the history use.
"""

from __future__ import annotations

from collections.abc import Sequence

from chatbatch.db import Cursor

HELD_FOR = "1 day"  # a receipt whose message never arrives (another app on the same number) is dropped then


def lock(cur: Cursor, *, tenant: str, message_ids: Sequence[str]) -> None:
    """Serialise a receipt and the storing of the message it names (by key, until the transaction ends): the one
    that comes second sees the other, so a receipt is never held just after its message was stored."""
    cur.execute(
        "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(key))"
        "  FROM (SELECT DISTINCT whatsapp_message_key(i) AS key FROM unnest(%s::text[]) AS i ORDER BY 1) AS keys",
        (tenant, list(message_ids)),
    )


def hold(
    cur: Cursor,
    *,
    tenant: str,
    message_ids: Sequence[str],
    status: str,
    error: str | None,
    over: Sequence[str],
) -> None:
    """Keep a receipt of ``status`` for messages not stored yet; a receipt held already for one of them gives way
    only when its status is one of ``over`` (an earlier one: never backwards). Receipts held too long go."""
    cur.execute(
        f"""
        WITH expired AS (
            DELETE FROM held_receipts WHERE received_at < now() - interval '{HELD_FOR}'
        )
        INSERT INTO held_receipts (user_token, message_key, status, status_error)
        SELECT DISTINCT %(tenant)s, whatsapp_message_key(i), %(status)s, %(error)s FROM unnest(%(ids)s::text[]) AS i
        ON CONFLICT (user_token, message_key) DO UPDATE
           SET status = EXCLUDED.status, status_error = EXCLUDED.status_error, received_at = now()
         WHERE held_receipts.status = ANY(%(over)s)
        """,
        {"tenant": tenant, "ids": list(message_ids), "status": status, "error": error, "over": list(over)},
    )


def take(cur: Cursor, *, tenant: str, message_id: str) -> tuple[str, str | None] | None:
    """The receipt held for this message (its status and error), removed; None when there is none."""
    cur.execute(
        "DELETE FROM held_receipts WHERE user_token = %s AND message_key = whatsapp_message_key(%s)"
        " RETURNING status, status_error",
        (tenant, message_id),
    )
    row = cur.fetchone()
    return (row[0], row[1]) if row else None
