-- Sweeper outbox. send_count: how many times the sweeper sent the job to SQS; it bounds the re-sends of a
-- stuck job and is the generation in the SQS deduplication id (a repeat of the same generation is dropped).
ALTER TABLE ai_jobs ADD COLUMN send_count integer NOT NULL DEFAULT 0 CHECK (send_count >= 0);

-- The outbox scan reads only jobs still in flight: its cost follows them, not the number of jobs ever made.
CREATE INDEX ai_jobs_in_flight ON ai_jobs (id) WHERE status IN ('pending', 'enqueued', 'generating', 'replied');
