-- Reactions: one emoji per person per message (WhatsApp replaces a person's earlier reaction; an empty one takes it
-- back). Stored against the reacted message's gateway id, also when that message is not in the history (yet):
-- the history joins them by (tenant, message id). A reaction never makes a job, an unread count or a reply.
CREATE TABLE message_reactions (
    id          bigserial   PRIMARY KEY,
    user_token  text        NOT NULL,                 -- the session token (tenant)
    chat_id     text        NOT NULL,                 -- '<session_tok>_<remote jid>', as chat_rooms.chat_id
    message_id  text        NOT NULL,                 -- the gateway's id of the message reacted to
    sender_jid  text        NOT NULL,
    from_me     boolean     NOT NULL DEFAULT false,   -- the business side reacted
    emoji       text        NOT NULL,                 -- '' = the reaction was taken back
    reacted_at  timestamptz NOT NULL,                 -- the gateway's time: an older event never overwrites a newer one
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_reactions_one_per_sender UNIQUE (user_token, message_id, sender_jid)
);
