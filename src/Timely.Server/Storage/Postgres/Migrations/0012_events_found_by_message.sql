-- As on SQLite (its 0012): a conversation's message events are found through its messages (EventLog.ConversationEventIds),
-- so a message's event is indexed by its time-ordered id, not next to its conversation's other events.
-- Both indexes are scoped by workspace, the distribution column on Citus (docs/scaling.md).
DROP INDEX ix_events_conversation;
CREATE INDEX ix_events_conversation ON events (workspace, conversation_id) WHERE message_id IS NULL;
CREATE INDEX ix_events_message ON events (workspace, message_id) WHERE message_id IS NOT NULL;
