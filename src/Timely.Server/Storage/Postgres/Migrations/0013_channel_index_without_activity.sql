-- As on SQLite (its 0013): the channel's index, which finds a contact's conversation on a channel that is not
-- closed, leaves out activity_at (a contact has few such conversations to order after the index found them).
-- Scoped by workspace, the distribution column on Citus (docs/scaling.md).
DROP INDEX ix_conversations_channel;
CREATE INDEX ix_conversations_channel ON conversations (workspace, channel_id, contact_id, status);
