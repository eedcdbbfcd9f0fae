-- A sweep of 10,000 ready chats marks every bubble it batches (is_batched, batch_id) in one statement: 100,000
-- bubbles for 10,000 chats of 10. Each marked bubble paid a foreign-key check against ai_jobs and an entry in
-- an index on batch_id; neither is needed (bench/bench_sweep.py, docs/scale.md):
-- - the job a bubble names is inserted by the same statement that names it (store/ai_jobs.py insert_batches),
--   and no job is ever deleted;
-- - nothing looks bubbles up by their job: a job carries its bubbles' ids (ai_jobs.batched_msg_ids).
-- The FK check alone was ~27% of that statement (EXPLAIN ANALYZE: 325 ms of 1,214 ms for 100,000 bubbles).
ALTER TABLE ai_chat_messages DROP CONSTRAINT IF EXISTS ai_chat_messages_batch_id_fkey;
DROP INDEX IF EXISTS ai_chat_messages_batch;
