-- Real gateways tell more about a message than the flat webhook did: which message it quotes (a reply), how far
-- a sent message got (receipts move chat_messages.status forward: sent -> delivered -> read, or failed), and that
-- it was deleted (revoked for everyone, or deleted on the business's phone). The history keeps all three.
ALTER TABLE chat_messages
    ADD COLUMN reply_to_message_id text,       -- the gateway's id of the quoted message (may not be in the history)
    ADD COLUMN status_error        text,       -- why the gateway could not deliver it (status 'failed')
    ADD COLUMN deleted_at          timestamptz;-- when the deletion arrived; the content is kept for the business
