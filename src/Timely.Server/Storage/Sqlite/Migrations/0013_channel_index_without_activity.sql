-- Every message moves its conversation's activity_at, and each index holding that column has its entry for the
-- conversation rewritten (ConversationStore.SaveRow sets no other indexed column for a message). The channel's
-- index serves one query, a contact's conversation on a channel that is not closed (inbound messages): a contact
-- has few of those, so ordering them by activity after the index found them costs nothing, and the index keeps
-- its entries when a message lands.
DROP INDEX ix_conversations_channel;
CREATE INDEX ix_conversations_channel ON conversations (workspace, channel_id, contact_id, status);
