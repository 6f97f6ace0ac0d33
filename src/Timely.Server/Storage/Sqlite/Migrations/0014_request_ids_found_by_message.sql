-- A message's request id is found through its message, as its event is (0012): an erasure finds a conversation's
-- request ids through its messages (ErasureStore.ConversationRequestIds). The old index, (workspace, conversation_id)
-- over every request id, put each message's id next to its conversation's others: a page per conversation per
-- commit on SQLite's log, about 6 KB a message over 64 conversations (bench/README, 2026-12-04 (evening)). Message
-- ids are time-ordered (UUIDv7), so each new entry joins the end of its workspace's range.
-- Both indexes are scoped by workspace, the distribution column on Citus (docs/scaling.md).
DROP INDEX ix_request_ids_conversation;
CREATE INDEX ix_request_ids_conversation ON request_ids (workspace, conversation_id) WHERE message_id IS NULL;
CREATE INDEX ix_request_ids_message ON request_ids (workspace, message_id) WHERE message_id IS NOT NULL;
