-- A reply leaves the worker as one or more parts (WhatsApp messages within the gateway's text limit), each sent at
-- most once: its hand-over to the gateway is recorded BEFORE the call ('sending'), so a retry after an unknown
-- outcome (a crash, a timeout after the gateway accepted, a failed commit) waits for the gateway's echo instead
-- of sending it again. Rules: chatbatch/domain/sending.py; SQL: chatbatch/store/reply_parts.py.
CREATE TABLE reply_parts (
    job_id       bigint      NOT NULL REFERENCES ai_jobs (id),
    position     integer     NOT NULL CHECK (position >= 1),     -- 1-based order in the chat
    session_tok  text        NOT NULL,
    chat_jid     text        NOT NULL,
    text         text        NOT NULL CHECK (text <> ''),
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent')),
    -- Hand-overs that may have reached WhatsApp (one more before each call, one less when the gateway refused):
    -- the part absorbs that many echoes by text, so a second copy after an unknown outcome is never a "human".
    handovers    integer     NOT NULL DEFAULT 0 CHECK (handovers >= 0),
    sending_at   timestamptz,                                     -- the latest hand-over (echo window, echo wait)
    sent_at      timestamptz,
    message_id   text,                                            -- the gateway's id (its answer, else the echo's)
    message_key  text,                                            -- WhatsApp's key inside it: echoes match on it
    echo_ids     text[]      NOT NULL DEFAULT '{}',               -- from_me messages taken as this part's echoes
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, position)
);

-- Echo recognition (the webhook, one chat): parts handed over moments ago (by text) or carrying the echo's id.
CREATE INDEX reply_parts_chat_sending ON reply_parts (session_tok, chat_jid, sending_at DESC)
    WHERE sending_at IS NOT NULL;
CREATE INDEX reply_parts_chat_key ON reply_parts (session_tok, chat_jid, message_key)
    WHERE message_key IS NOT NULL;

-- Replies in flight (or handed over in the last minutes) when this migration runs become their one part, so
-- their echoes are still recognised and a retry does not send them again.
INSERT INTO reply_parts (job_id, position, session_tok, chat_jid, text, status, handovers, sending_at, sent_at,
                         message_id, message_key, echo_ids)
SELECT id, 1, session_tok, chat_jid, reply,
       CASE WHEN status = 'done' THEN 'sent' WHEN sending_at IS NOT NULL THEN 'sending' ELSE 'pending' END,
       CASE WHEN sending_at IS NOT NULL THEN 1 ELSE 0 END,
       sending_at, reply_sent_at, reply_message_id, reply_message_id,
       CASE WHEN echo_message_id IS NULL THEN '{}'::text[] ELSE ARRAY[echo_message_id] END
  FROM ai_jobs
 WHERE reply IS NOT NULL AND reply <> ''
   AND (status IN ('generating', 'replied') OR sending_at >= now() - interval '10 minutes');

-- The job-level echo columns gave way to the parts: their lookup index only costs writes now.
DROP INDEX ai_jobs_chat_replies;
