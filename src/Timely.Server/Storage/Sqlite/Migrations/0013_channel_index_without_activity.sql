-- The index of a contact's conversations in a channel no longer holds their activity. Its activity_at never
-- ordered a read (the status before it is a range, status <> closed, or not asked), yet each message moved
-- its conversation's entry, as it moves the entries of the lists ordered by activity; a contact has few
-- conversations in a channel, and sorting them costs nothing.
DROP INDEX ix_conversations_channel;
CREATE INDEX ix_conversations_channel ON conversations (workspace, channel_id, contact_id, status);
