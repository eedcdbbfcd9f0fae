-- The gateway echoes each sent reply once: remember which from_me message was that echo, so a human who later
-- types the same words in the chat is a human (history + takeover), not a second "echo".
ALTER TABLE ai_jobs ADD COLUMN echo_message_id text;
