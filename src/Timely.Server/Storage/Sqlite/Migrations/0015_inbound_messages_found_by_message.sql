-- An inbound message's dedupe record is found through its message, as its request id is (0014): an erasure finds a
-- conversation's records through its messages (ErasureStore.ConversationInboundMessages). The old index,
-- (workspace, conversation_id), put each inbound message's record next to its conversation's others: a page per
-- conversation per commit, on every message a channel delivers. Message ids are time-ordered (UUIDv7), so each new
-- entry joins the end of its workspace's range.
-- Scoped by workspace, the distribution column on Citus (docs/scaling.md).
DROP INDEX ix_inbound_messages_conversation;
CREATE INDEX ix_inbound_messages_message ON inbound_messages (workspace, message_id);
