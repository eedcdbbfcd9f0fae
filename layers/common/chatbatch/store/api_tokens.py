"""SQL for api_tokens: the chat-history API's bearer tokens, stored as SHA-256 digests only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatbatch.db import Cursor

_COLUMNS = "id, session_tok, label, created_at, last_used_at, revoked_at, scope"


@dataclass(frozen=True)
class TokenRecord:
    id: int
    tenant: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    scope: str


def insert(cur: Cursor, *, tenant: str, token_hash: bytes, label: str | None, scope: str) -> TokenRecord:
    cur.execute(
        f"INSERT INTO api_tokens (session_tok, token_hash, label, scope) VALUES (%s, %s, %s, %s) RETURNING {_COLUMNS}",
        (tenant, token_hash, label, scope),
    )
    return TokenRecord(*cur.fetchone())


def use_active(cur: Cursor, token_hash: bytes) -> TokenRecord | None:
    """The token with this digest unless revoked, recording its use.

    ``last_used_at`` is written at most once a minute per token: a busy UI's every request would otherwise
    rewrite (and lock) the same row.
    """
    cur.execute(
        f"""
        WITH found AS (
            SELECT {_COLUMNS} FROM api_tokens WHERE token_hash = %s AND revoked_at IS NULL
        ), touched AS (
            UPDATE api_tokens t SET last_used_at = now()
              FROM found
             WHERE t.id = found.id
               AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute')
        )
        SELECT {_COLUMNS} FROM found
        """,
        (token_hash,),
    )
    row = cur.fetchone()
    return TokenRecord(*row) if row else None


def revoke(cur: Cursor, *, token_id: int | None = None, token_hash: bytes | None = None) -> TokenRecord | None:
    """Revoke the token by id or by digest (a second revoke keeps the first time); None when there is none."""
    cur.execute(
        f"""
        UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now())
         WHERE id = %(id)s OR token_hash = %(hash)s
        RETURNING {_COLUMNS}
        """,
        {"id": token_id, "hash": token_hash},
    )
    row = cur.fetchone()
    return TokenRecord(*row) if row else None


def list_for_session(cur: Cursor, tenant: str) -> list[TokenRecord]:
    cur.execute(f"SELECT {_COLUMNS} FROM api_tokens WHERE session_tok = %s ORDER BY id", (tenant,))
    return [TokenRecord(*row) for row in cur.fetchall()]
