"""Use cases of a tenant's bot settings: read them (effective values), change some (logged), read the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chatbatch.db import Cursor, Database
from chatbatch.domain.tenant_settings import FIELDS, BotSettings, SettingsPatch, effective
from chatbatch.services.api_tokens import Tenant
from chatbatch.store import tenant_settings
from chatbatch.store.tenant_settings import SettingsChange, StoredSettings


@dataclass(frozen=True)
class TenantSettings:
    settings: BotSettings  # effective: the tenant's own value, else the environment's default
    overridden: list[str]  # the fields with the tenant's own value
    updated_at: datetime | None
    updated_by: str | None


def bot_settings(cur: Cursor, tenant: str, defaults: BotSettings) -> BotSettings:
    """The settings the tenant's bot runs with right now (one primary-key lookup)."""
    return effective(defaults, tenant_settings.get(cur, tenant).overrides)


def read_settings(db: Database, tenant: str, defaults: BotSettings) -> TenantSettings:
    return _view(db.transaction(lambda cur: tenant_settings.get(cur, tenant)), defaults)


def change_settings(db: Database, tenant: Tenant, patch: SettingsPatch, defaults: BotSettings) -> TenantSettings:
    """Set the fields the patch gives (null: back to the default); each field that changes is logged with who
    changed it and its old and new value, in the same transaction."""
    wanted = patch.changes()

    def work(cur: Cursor) -> StoredSettings:
        stored = tenant_settings.lock(cur, tenant.name)
        changed = {name: value for name, value in wanted.items() if stored.overrides[name] != value}
        if not changed:
            return stored
        tenant_settings.update(cur, tenant.name, changed, changed_by=tenant.operator)
        tenant_settings.record_changes(
            cur,
            tenant.name,
            [(name, stored.overrides[name], value) for name, value in changed.items()],
            changed_by=tenant.operator,
            token_id=tenant.token_id,
        )
        return tenant_settings.get(cur, tenant.name)

    return _view(db.transaction(work), defaults)


def list_changes(db: Database, tenant: str, *, limit: int) -> list[SettingsChange]:
    return db.transaction(lambda cur: tenant_settings.changes(cur, tenant, limit=limit))


def _view(stored: StoredSettings, defaults: BotSettings) -> TenantSettings:
    overridden = [name for name in FIELDS if stored.overrides[name] is not None]
    return TenantSettings(effective(defaults, stored.overrides), overridden, stored.updated_at, stored.updated_by)
