-- Worker: the job state machine enforced by the database, what a reply cost, and human takeover.

-- Exactly the states of docs/contracts.md; a typo in any branch's UPDATE fails loudly instead of stranding a job.
ALTER TABLE ai_jobs
    ADD CONSTRAINT ai_jobs_status_check
    CHECK (status IN ('pending', 'enqueued', 'generating', 'replied', 'done', 'skipped', 'failed'));

ALTER TABLE ai_jobs
    ADD COLUMN llm_provider    text,
    ADD COLUMN llm_model       text,
    ADD COLUMN llm_tokens_in   integer CHECK (llm_tokens_in >= 0),
    ADD COLUMN llm_tokens_out  integer CHECK (llm_tokens_out >= 0),
    ADD COLUMN llm_latency_ms  integer CHECK (llm_latency_ms >= 0),
    ADD COLUMN replied_at      timestamptz,   -- the LLM's answer was saved on the job
    ADD COLUMN sending_at      timestamptz,   -- latest hand-over of the reply to the gateway (echo-by-text window)
    ADD COLUMN reply_sent_at   timestamptz,   -- the gateway accepted the reply
    -- A worker holds the job until then: a concurrent duplicate delivery backs off instead of answering twice,
    -- and a worker that died mid-job (Lambda timeout) gives the job up when the lease runs out.
    ADD COLUMN lease_until     timestamptz;

-- Echo recognition: the replies the bot recently sent in a chat (by the gateway's id or by identical text).
CREATE INDEX ai_jobs_chat_replies ON ai_jobs (session_tok, chat_jid, sending_at DESC) WHERE reply IS NOT NULL;

-- Human takeover: the arrival of the latest message a human on the business side wrote in the chat (never the
-- gateway's echo of the bot). One column read per job, written by the webhook in the same transaction that
-- stores the message — instead of re-deciding "human or echo?" over the history on every job.
ALTER TABLE chat_rooms ADD COLUMN human_active_at timestamptz;
