-- Receipts find a message by WhatsApp's key inside its id, as echoes do: a gateway may name one message in
-- several forms (WAHA's send answer `true_<chat>_<key>`, its group receipt `true_<group>_<key>_<participant>`,
-- an `@lid` chat instead of `@c.us`), while the key (3EB0…, BAE5…, wamid.…) is the part every form shares.
-- The rule is chatbatch/domain/sending.message_key; tests/integration/test_message_keys.py holds the two equal.
CREATE FUNCTION whatsapp_message_key(message_id text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN COALESCE(substring(message_id FROM '^(?:true|false)_[^_]+@[^_]+_([^_]+)(?:_.*)?$'), message_id);

-- A receipt's lookup: the tenant's messages carrying one of its keys.
CREATE INDEX chat_messages_tenant_key ON chat_messages (user_token, whatsapp_message_key(message_id));
