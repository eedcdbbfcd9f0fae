"""SQL for tenant_settings (a tenant's own bot settings; NULL = the environment's default) and its change log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

from chatbatch.db import Cursor
from chatbatch.domain.tenant_settings import FIELDS

# Column names come from this fixed list only (never from a request), so composing them into SQL is safe.
_COLUMNS = ", ".join(FIELDS)
_JSON_FIELDS = frozenset({"business_hours"})


@dataclass(frozen=True)
class StoredSettings:
    overrides: dict[str, Any]  # field -> the tenant's own value (None: the environment's default)
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True)
class SettingsChange:
    id: int
    field: str
    old_value: Any
    new_value: Any
    changed_by: str
    changed_at: datetime


NONE_STORED = StoredSettings({name: None for name in FIELDS}, None, None)


def get(cur: Cursor, tenant: str) -> StoredSettings:
    """The tenant's stored settings (all None when it never set any): one primary-key lookup."""
    cur.execute(f"SELECT {_COLUMNS}, updated_at, updated_by FROM tenant_settings WHERE session_tok = %s", (tenant,))
    row = cur.fetchone()
    if row is None:
        return NONE_STORED
    return StoredSettings(dict(zip(FIELDS, row[: len(FIELDS)])), row[-2], row[-1])


def effective_sql(field: str, *, tenant: str, default: str) -> str:
    """SQL for the tenant's own value of ``field`` (``tenant``: the SQL of its session token), else ``default``
    (the SQL of the environment's value): one primary-key lookup inside the caller's statement."""
    if field not in FIELDS:
        raise ValueError(f"no tenant setting {field!r}")
    return f"COALESCE((SELECT {field} FROM tenant_settings WHERE session_tok = {tenant}), {default})"


def overrides_of(cur: Cursor, tenants: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored settings of several tenants (those that have some), by session token."""
    cur.execute(
        f"SELECT session_tok, {_COLUMNS} FROM tenant_settings WHERE session_tok = ANY(%s)", (list(set(tenants)),)
    )
    return {row[0]: dict(zip(FIELDS, row[1:])) for row in cur.fetchall()}


def lock(cur: Cursor, tenant: str) -> StoredSettings:
    """The tenant's stored settings, row-locked until the transaction ends (the row is made if missing), so two
    concurrent changes are applied, and logged, one after the other."""
    cur.execute("INSERT INTO tenant_settings (session_tok) VALUES (%s) ON CONFLICT DO NOTHING", (tenant,))
    cur.execute(
        f"SELECT {_COLUMNS}, updated_at, updated_by FROM tenant_settings WHERE session_tok = %s FOR UPDATE",
        (tenant,),
    )
    row = cur.fetchone()
    return StoredSettings(dict(zip(FIELDS, row[: len(FIELDS)])), row[-2], row[-1])


def update(cur: Cursor, tenant: str, values: dict[str, Any], *, changed_by: str) -> None:
    """Set the given fields (None: back to the environment's default); the others keep their value."""
    assignments = ", ".join(f"{name} = %({name})s" for name in values if name in FIELDS)
    params = {name: Json(v) if name in _JSON_FIELDS and v is not None else v for name, v in values.items()}
    cur.execute(
        f"UPDATE tenant_settings SET {assignments}, updated_at = now(), updated_by = %(changed_by)s"
        " WHERE session_tok = %(session_tok)s",
        {**params, "changed_by": changed_by, "session_tok": tenant},
    )


def record_changes(
    cur: Cursor, tenant: str, changes: list[tuple[str, Any, Any]], *, changed_by: str, token_id: int | None
) -> None:
    """One change-log row per (field, old, new)."""
    for field, old, new in changes:
        cur.execute(
            "INSERT INTO tenant_settings_changes (session_tok, field, old_value, new_value, changed_by, token_id)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (tenant, field, Json(old), Json(new), changed_by, token_id),
        )


def changes(cur: Cursor, tenant: str, *, limit: int) -> list[SettingsChange]:
    """The tenant's latest setting changes, newest first."""
    cur.execute(
        "SELECT id, field, old_value, new_value, changed_by, changed_at FROM tenant_settings_changes"
        " WHERE session_tok = %s ORDER BY id DESC LIMIT %s",
        (tenant, limit),
    )
    return [SettingsChange(*row) for row in cur.fetchall()]
