-- Foundation: the AI's working set (ai_chat_messages, ai_jobs) and the permanent chat history
-- (chat_rooms, chat_messages). Table and column names are those an existing chat UI reads, so it keeps working.

CREATE TABLE ai_jobs (
    id                bigserial PRIMARY KEY,
    session_tok       text        NOT NULL,
    chat_jid          text        NOT NULL,              -- the chat's remote JID (the contact or the group)
    status            text        NOT NULL DEFAULT 'pending',
    is_batch          boolean     NOT NULL DEFAULT true,
    batched_msg_ids   bigint[]    NOT NULL,              -- ai_chat_messages ids, oldest first
    batch_size        integer     NOT NULL CHECK (batch_size >= 1),
    attempts          integer     NOT NULL DEFAULT 0,
    reply             text,
    reply_message_id  text,                              -- the gateway's id of the sent reply
    error             text,
    first_message_at  timestamptz,                       -- arrival of the batch's oldest bubble
    last_message_at   timestamptz,                       -- arrival of the batch's newest bubble
    created_at        timestamptz NOT NULL DEFAULT now(),-- when the sweep made the job
    enqueued_at       timestamptz,
    started_at        timestamptz,
    completed_at      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ai_chat_messages (
    id                bigserial PRIMARY KEY,
    session_tok       text        NOT NULL,
    "from"            text        NOT NULL,
    "to"              text        NOT NULL,
    chat_jid          text        NOT NULL,              -- "from" for incoming messages, "to" for from_me
    participant       text,                              -- in a group: the member who wrote
    body              text        NOT NULL DEFAULT '',
    push_name         text,
    message_id        text        NOT NULL,              -- the gateway's / WhatsApp's id
    message_type      text        NOT NULL DEFAULT 'text',
    from_me           boolean     NOT NULL DEFAULT false,
    is_group          boolean     NOT NULL DEFAULT false,
    needs_reply       boolean     NOT NULL,              -- a contact message in a chat the AI may answer
    is_batched        boolean     NOT NULL DEFAULT false,
    batch_id          bigint      REFERENCES ai_jobs (id),
    message_timestamp timestamptz NOT NULL,              -- the gateway's time of the message
    last_activity     timestamptz NOT NULL DEFAULT now(),-- server time of arrival (the debounce clock)
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ai_chat_messages_session_message_key UNIQUE (session_tok, message_id)
);

-- The debounce sweep reads only pending bubbles: its cost follows them, not the history's size.
CREATE INDEX ai_chat_messages_pending
    ON ai_chat_messages (session_tok, chat_jid, id)
    WHERE needs_reply AND NOT is_batched;
CREATE INDEX ai_chat_messages_batch ON ai_chat_messages (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE chat_rooms (
    id             bigserial PRIMARY KEY,
    chat_id        text        NOT NULL UNIQUE,          -- '<session_tok>_<remote jid>', the key existing UIs use
    user_token     text        NOT NULL,                 -- the session token (tenant)
    contact_jid    text        NOT NULL,
    contact_name   text,
    chat_type      text        NOT NULL CHECK (chat_type IN ('individual', 'group')),
    is_group       boolean     NOT NULL DEFAULT false,
    last_message   text,
    last_sender    text        CHECK (last_sender IN ('contact', 'user', 'ai')),
    last_activity  timestamptz NOT NULL,
    unread_count   integer     NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Room list of one tenant, newest activity first (keyset pagination).
CREATE INDEX chat_rooms_tenant_activity ON chat_rooms (user_token, last_activity DESC, id DESC);

CREATE TABLE chat_messages (
    id                bigserial PRIMARY KEY,
    message_id        text        NOT NULL,
    chat_room_id      bigint      NOT NULL REFERENCES chat_rooms (id),
    chat_id           text        NOT NULL,
    user_token        text        NOT NULL,
    sender_jid        text        NOT NULL,
    sender_type       text        NOT NULL CHECK (sender_type IN ('contact', 'user', 'ai')),
    message_type      text        NOT NULL DEFAULT 'text',
    content           text        NOT NULL DEFAULT '',
    status            text        NOT NULL DEFAULT 'received',
    message_timestamp timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- Unique per tenant: two of our sessions in one WhatsApp group receive the same message id.
    CONSTRAINT chat_messages_tenant_message_key UNIQUE (user_token, message_id)
);
-- A room's conversation, newest first (keyset pagination) and the worker's history context.
CREATE INDEX chat_messages_room_time ON chat_messages (chat_room_id, message_timestamp DESC, id DESC);
