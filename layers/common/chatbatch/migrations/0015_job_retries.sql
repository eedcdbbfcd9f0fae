-- Operator retries of failed jobs, and the console's list of a chat's jobs.

-- A retry is a new job for the same bubbles; the failed job stays as it was (its error is history). A failed
-- job has at most one retry (the unique index), and only a failed job is retried: at any time a burst has at
-- most one job that may still reply, so it is answered once.
ALTER TABLE ai_jobs ADD COLUMN retry_of bigint REFERENCES ai_jobs (id);
CREATE UNIQUE INDEX ai_jobs_retry_of ON ai_jobs (retry_of) WHERE retry_of IS NOT NULL;

-- GET /chat-rooms/{id}/jobs: a chat's jobs, newest first.
CREATE INDEX ai_jobs_chat ON ai_jobs (session_tok, chat_jid, id DESC);

-- A job that fails stamps its room, so the console's "changes since" poll shows the failure without asking.
CREATE FUNCTION ai_jobs_touch_room_on_failure() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    UPDATE chat_rooms SET updated_at = clock_timestamp() WHERE chat_id = NEW.session_tok || '_' || NEW.chat_jid;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ai_jobs_touch_room_on_failure
    AFTER UPDATE OF status ON ai_jobs
    FOR EACH ROW WHEN (NEW.status = 'failed' AND OLD.status IS DISTINCT FROM 'failed')
    EXECUTE FUNCTION ai_jobs_touch_room_on_failure();
