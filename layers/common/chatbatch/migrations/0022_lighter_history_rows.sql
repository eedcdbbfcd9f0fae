-- Every webhook message writes one chat_messages row (store/received_messages.py). Two things each such write paid
-- for, and did not need (measured: docs/scale.md, "Ingest"; together about a quarter of the database's CPU per
-- message):
--
-- 1. The receipts' expression index held an entry for every message, though only WAHA's serialized ids
--    (true_<chat>_<key>…, false_…) carry WhatsApp's key inside a longer id: every other gateway's id IS its key
--    (Meta's wamid…, Evolution's and GOWA's 3EB0…), and the unique (user_token, message_id) index finds those.
--    The index now holds WAHA's forms only; a receipt's lookup asks both indexes (store/chat_messages.py,
--    WAHA_FORM; tests/integration/test_message_keys.py holds the two rules in step).
DROP INDEX IF EXISTS chat_messages_tenant_key;
CREATE INDEX chat_messages_tenant_key ON chat_messages (user_token, whatsapp_message_key(message_id))
    WHERE message_id LIKE 'true\_%' OR message_id LIKE 'false\_%';

-- 2. The foreign-key check of a history row's room: a query per message. Every history row's room comes from the
--    room upsert of the same statement (ingest) or a room read in the same transaction (the bot's reply, a staff
--    reply), and no room is ever deleted - as migration 0016 did for the bubbles' job.
ALTER TABLE chat_messages DROP CONSTRAINT IF EXISTS chat_messages_chat_room_id_fkey;
