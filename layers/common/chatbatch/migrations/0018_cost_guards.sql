-- Cost and abuse guards (domain/cost_guards.py): a chat's LLM replies per hour, a tenant's LLM tokens per day.

-- The tenant's own limits; NULL = the environment's default (MAX_REPLIES_PER_HOUR, DAILY_TOKEN_BUDGET).
ALTER TABLE tenant_settings
    ADD COLUMN max_replies_per_hour integer CHECK (max_replies_per_hour >= 1),
    ADD COLUMN daily_token_budget   bigint  CHECK (daily_token_budget >= 1);

-- When a job last went to the LLM (NULL: never, e.g. skipped or answered by the away message). The guards count
-- these jobs; their tokens are the job's llm_tokens_in + llm_tokens_out, from the LLM's own usage report.
ALTER TABLE ai_jobs ADD COLUMN llm_asked_at timestamptz;
CREATE INDEX ai_jobs_llm_asked ON ai_jobs (session_tok, llm_asked_at) WHERE llm_asked_at IS NOT NULL;
