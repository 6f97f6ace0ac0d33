-- As on SQLite (its 0013): the index of a contact's conversations in a channel without their activity, which
-- never ordered a read. On PostgreSQL this saves no work (a message's update of its conversation changes
-- indexed columns, so every index of the table gets an entry for the new row version); it keeps the two
-- schemas alike.
DROP INDEX ix_conversations_channel;
CREATE INDEX ix_conversations_channel ON conversations (workspace, channel_id, contact_id, status);
