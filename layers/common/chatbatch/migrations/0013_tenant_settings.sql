-- Per-tenant settings: a tenant's own value of a bot setting overrides the environment's default. NULL in a
-- column means "the environment's default" (so a default changed by a deploy reaches every tenant that did not
-- choose its own). Read by primary key: one cheap lookup per job, and a join of a handful of rows per sweep.

CREATE TABLE tenant_settings (
    session_tok               text PRIMARY KEY CHECK (session_tok <> ''),
    system_prompt             text,
    llm_model                 text,
    bot_enabled               boolean,
    debounce_seconds          double precision CHECK (debounce_seconds > 0),
    max_wait_seconds          double precision CHECK (max_wait_seconds > 0),
    max_batch_messages        integer CHECK (max_batch_messages >= 1),
    history_context_messages  integer CHECK (history_context_messages >= 0),
    ai_reply_groups           boolean,
    human_takeover_minutes    double precision CHECK (human_takeover_minutes >= 0),
    away_message              text,
    time_zone                 text,
    business_hours            jsonb,                  -- {"mon": [{"open": "09:00", "close": "17:00"}], ...}
    updated_at                timestamptz NOT NULL DEFAULT now(),
    updated_by                text
);

-- Every change of a tenant's settings, one row per field: who (the API token's name), when, old -> new.
-- Values are the tenant's stored values as JSON; null = the environment's default.
CREATE TABLE tenant_settings_changes (
    id          bigserial PRIMARY KEY,
    session_tok text        NOT NULL,
    field       text        NOT NULL,
    old_value   jsonb,
    new_value   jsonb,
    changed_by  text        NOT NULL,
    token_id    bigint,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_settings_changes_tenant ON tenant_settings_changes (session_tok, id DESC);
