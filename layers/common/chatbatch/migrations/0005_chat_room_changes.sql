-- The chat-history page polls "which rooms changed since my cursor": chat_rooms.updated_at must move on
-- EVERY write of a room (a message, the bot's reply, a mark-read, whichever code path does it), and the
-- tenant's recent changes must be one index range scan.

-- clock_timestamp(), not now(): the stamp is taken as late as possible in the writing transaction, so the
-- gap between a row's stamp and its commit (which readers must overlap, see domain/room_changes.py) is tiny.
CREATE FUNCTION chat_rooms_stamp_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END;
$$;

CREATE TRIGGER chat_rooms_stamp_change
    BEFORE INSERT OR UPDATE ON chat_rooms
    FOR EACH ROW EXECUTE FUNCTION chat_rooms_stamp_change();

CREATE INDEX chat_rooms_tenant_changes ON chat_rooms (user_token, updated_at);
