-- No lock on the event log: each event records the transaction that wrote it, and readers read below
-- the oldest transaction still running (see PostgresDialect). Existing events get this migration's
-- transaction id, after every earlier one: their order stays their id order.
ALTER TABLE events ADD COLUMN tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
DROP INDEX ix_events_workspace;
DROP INDEX ix_events_occurred;
CREATE INDEX ix_events_position ON events (workspace, tx, id);  -- a workspace's watchers
CREATE INDEX ix_events_log ON events (tx, id);                  -- retention, from the oldest
INSERT INTO counters (name, value) VALUES ('events_pruned_through_tx', 0);

-- Inbound dedupe records expire with the request ids.
ALTER TABLE inbound_messages ADD COLUMN created_at bigint NOT NULL DEFAULT 0;
UPDATE inbound_messages SET created_at = (extract(epoch FROM now()) * 1000000)::bigint;
CREATE INDEX ix_inbound_messages_created ON inbound_messages (created_at);
