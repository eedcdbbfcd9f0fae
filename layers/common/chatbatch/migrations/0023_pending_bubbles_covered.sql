-- The sweep's two reads of the pending bubbles (store/ai_chat_messages.py: the ready chats' first and last
-- arrival per chat, then each locked chat's bubbles in order) need each bubble's chat, id and arrival time. With
-- the arrival time in the partial index they read the index alone (an index-only scan): no visit to the table.
-- Without it, at 100,000 pending bubbles on a 1M-row history, the planner judged 100,000 visits to the table
-- dearer than reading all of it, and the find statement scanned the whole table (the history included): 320-460 ms
-- against 80 ms this way (docs/scale.md). A bubble is in this index only while it is pending, as before.
DROP INDEX ai_chat_messages_pending;
CREATE INDEX ai_chat_messages_pending
    ON ai_chat_messages (session_tok, chat_jid, id) INCLUDE (last_activity)
    WHERE needs_reply AND NOT is_batched;
