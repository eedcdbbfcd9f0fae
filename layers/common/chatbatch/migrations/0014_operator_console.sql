-- The operator console: token scopes, per-chat bot pause, staff replies sent from the console, away messages.

-- read < operate < admin. Tokens made before scopes existed keep what they could do: read and operate.
ALTER TABLE api_tokens
    ADD COLUMN scope text NOT NULL DEFAULT 'operate' CHECK (scope IN ('read', 'operate', 'admin'));

ALTER TABLE chat_rooms
    -- An operator paused the bot in this chat (NULL: not paused); it holds until resumed.
    ADD COLUMN bot_paused_at  timestamptz,
    ADD COLUMN bot_paused_by  text,
    -- Start of the closed period (outside business hours) the away message was last sent for in this chat.
    ADD COLUMN away_sent_for  timestamptz;

ALTER TABLE chat_messages
    -- A staff reply sent from the console: the operator's token name (NULL for anything else).
    ADD COLUMN sent_by          text,
    -- The gateway's from_me echo of that reply, once recognised (stored once: the echo is not a second message).
    ADD COLUMN echo_message_id  text;
