-- A receipt may arrive before the message it names is in the history: the gateway reports "delivered" or "read"
-- (or Meta "failed") while the worker has not yet recorded the reply part it just sent, or before a staff reply's
-- send answered. Such a receipt is held here, by the message's WhatsApp key (0020), and applied when the message
-- is stored; the newest status wins, by the same forward-only rule (chatbatch/domain/delivery.py). Receipts for
-- messages that never arrive (sent by another app on the same number) are dropped after a day.
CREATE TABLE held_receipts (
    user_token   text        NOT NULL,
    message_key  text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('delivered', 'read', 'failed')),
    status_error text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_token, message_key)
);

CREATE INDEX held_receipts_received ON held_receipts (received_at);
