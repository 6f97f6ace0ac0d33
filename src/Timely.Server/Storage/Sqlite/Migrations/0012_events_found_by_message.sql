-- A conversation's events are found without an index entry per message in the conversation's own place
-- (the erasure's scrub, a redaction's subject scrub: EventLog.ConversationEventIds). The old index,
-- (workspace, conversation_id) over every event, put each message's event next to its conversation's
-- others: on SQLite's physical log, a commit of messages to 64 conversations wrote 64 more pages for it,
-- a third of the bytes of each message (bench/README, 2026-12-02). Now a conversation's other events keep
-- that index, and its message events are found through its messages: their ids are time-ordered (UUIDv7),
-- so each message's event joins the end of its workspace's range, in the page the others of its commit share.
DROP INDEX ix_events_conversation;
CREATE INDEX ix_events_conversation ON events (workspace, conversation_id) WHERE message_id IS NULL;
CREATE INDEX ix_events_message ON events (workspace, message_id) WHERE message_id IS NOT NULL;
